// The customer portal: the web form (POST /api/v1/channels/web-form) and the
// tracking page for a customer signed in by a magic link.
'use strict';

const $ = (id) => document.getElementById(id);
let csrf = '';
let current = null;

function say(text, isError) { $('status').textContent = text || ''; $('status').className = isError ? 'error' : ''; }
function text(tag, content, cls) { const el = document.createElement(tag); el.textContent = content; if (cls) el.className = cls; return el; }

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
  return data;
}

async function showTracking() {
  $('tracking').hidden = false;
  const data = await api('GET', '/api/v1/tickets?sort=updated');
  const list = $('my-tickets');
  list.replaceChildren();
  for (const t of data.tickets || []) {
    const li = document.createElement('li');
    const a = text('a', '#' + t.id + ' ' + t.subject + ' (' + t.status + ')');
    a.href = '#ticket-' + t.id;
    a.addEventListener('click', (ev) => { ev.preventDefault(); openTicket(t.id); });
    li.append(a);
    list.append(li);
  }
  if (!list.children.length) list.append(text('li', 'No requests yet.'));
}

async function openTicket(id) {
  try {
    const page = await api('GET', '/api/v1/tickets/' + id);
    current = page.ticket;
    $('my-ticket').hidden = false;
    $('my-ticket-h').textContent = '#' + current.id + ' ' + current.subject;
    $('my-ticket-status').textContent = 'Status: ' + current.status;
    const thread = $('my-thread');
    thread.replaceChildren();
    for (const m of page.messages || []) {
      thread.append(text('li', (m.kind === 'CUSTOMER_MESSAGE' ? 'You' : 'Support') + ': ' + (m.bodyText || '')));
    }
    $('my-ticket-h').focus();
  } catch (e) { say(e.message, true); }
}

document.addEventListener('DOMContentLoaded', async () => {
  $('web-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/v1/channels/web-form', {
        name: $('name').value, email: $('email').value, subject: $('subject').value, message: $('message').value,
      });
      say('Thank you — your request is #' + r.ticketId + '. We will answer by e-mail.');
      $('web-form').reset();
    } catch (e) { say(e.message, true); }
  });
  $('answer-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/v1/tickets/' + current.id + '/messages', { bodyText: $('answer').value });
      $('answer').value = '';
      openTicket(current.id);
    } catch (e) { say(e.message, true); }
  });
  const m = location.hash.match(/token=([^&]+)/);
  try {
    if (m) {
      const s = await api('POST', '/api/v1/customer/session', { token: decodeURIComponent(m[1]) });
      csrf = s.csrfToken || '';
      history.replaceState(null, '', '/portal/');
      await showTracking();
    } else {
      const s = await api('GET', '/api/v1/session');
      if (s.kind === 'customer') { csrf = s.csrfToken || ''; await showTracking(); }
    }
  } catch (e) { if (m) say(e.message, true); }
});
