// The customer portal: the help center's search and articles (public ones,
// GET /api/v1/kb/...), the web form with suggestions as the customer types
// (POST /api/v1/kb/suggest, debounced; the session's outcome is recorded when
// the form is sent or the customer says an article answered them), the
// read-only page of a tracking link (#track=...), a sign-in link by e-mail
// and the requests of a customer signed in by it (#token=...).
'use strict';

const $ = (id) => document.getElementById(id);
let csrf = '';
let current = null;
// The suggestion session of the question being typed (its id), if any.
let kbSession = null;
let suggestTimer = 0;
let suggestSeq = 0;
let suggestedFor = '';

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

// --- The knowledge base ------------------------------------------------------

function articleLink(id, title) {
  const a = text('a', title);
  a.href = '#article-' + id;
  return a;
}

async function searchKb(q) {
  const list = $('kb-results');
  list.replaceChildren();
  if (!q.trim()) return;
  try {
    const r = await api('GET', '/api/v1/kb/search?q=' + encodeURIComponent(q));
    for (const hit of r.results || []) {
      const li = document.createElement('li');
      li.append(articleLink(hit.articleId, hit.title));
      // snippetHtml is escaped by the desk, with matches in <mark>.
      const snip = document.createElement('span');
      snip.className = 'snippet';
      snip.innerHTML = hit.snippetHtml || '';
      li.append(snip);
      list.append(li);
    }
    if (!list.children.length) list.append(text('li', 'No articles match.'));
  } catch (e) { say(e.message, true); }
}

async function showArticle(id) {
  try {
    const a = await api('GET', '/api/v1/kb/articles/' + encodeURIComponent(id));
    $('kb-article').hidden = false;
    $('kb-article-h').textContent = a.title;
    // The desk renders the article's Markdown to safe HTML.
    $('kb-article-body').innerHTML = a.html || '';
    $('kb-article-h').focus();
  } catch (e) { say(e.message, true); }
}

// --- Suggestions as the customer types ----------------------------------------

function question() { return ($('subject').value + '\n' + $('message').value).trim(); }

function scheduleSuggestions() {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(suggest, 400);
}

async function suggest() {
  const q = question();
  const seq = ++suggestSeq;
  if (q.length < 4) { $('suggestions').hidden = true; return; }
  // One session per distinct question (a pause without a change asks nothing).
  if (q === suggestedFor) return;
  suggestedFor = q;
  try {
    const s = await api('POST', '/api/v1/kb/suggest', { question: q.slice(0, 1000) });
    if (seq !== suggestSeq) return;  // a newer question is on its way
    kbSession = s.id;
    const list = $('suggestion-list');
    list.replaceChildren();
    for (const sug of s.suggestions || []) {
      const li = document.createElement('li');
      li.append(articleLink(sug.articleId, sug.title));
      li.append(text('span', sug.reason || '', 'reason'));
      list.append(li);
    }
    $('suggestions').hidden = !list.children.length;
  } catch (e) { /* suggestions are a help, not a requirement */ }
}

// --- A tracking link ----------------------------------------------------------

async function showTracked(token) {
  try {
    const t = await api('POST', '/api/v1/tracking', { token });
    $('tracked').hidden = false;
    $('tracked-h').textContent = 'Request #' + t.ticketId + ': ' + t.subject;
    $('tracked-status').textContent = 'Status: ' + t.status;
    const thread = $('tracked-thread');
    thread.replaceChildren();
    for (const m of t.messages || []) {
      const li = document.createElement('li');
      li.append(text('span', (m.kind === 'CUSTOMER_MESSAGE' ? 'You' : 'Support') + ' · ' +
                     (m.createdAt ? new Date(m.createdAt).toLocaleString() : ''), 'meta'));
      li.append(document.createTextNode(m.bodyText || ''));
      thread.append(li);
    }
    $('tracked-h').focus();
  } catch (e) { say(e.message, true); }
}

// --- A customer signed in by a magic link --------------------------------------

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

// --- Where the address points ----------------------------------------------------

async function route() {
  const h = location.hash;
  let m;
  if ((m = h.match(/^#track=([A-Za-z0-9_-]+)$/))) {
    await showTracked(m[1]);
  } else if ((m = h.match(/^#article-(\d+)$/))) {
    await showArticle(m[1]);
  } else if ((m = h.match(/token=([^&]+)/))) {
    try {
      const s = await api('POST', '/api/v1/customer/session', { token: decodeURIComponent(m[1]) });
      csrf = s.csrfToken || '';
      history.replaceState(null, '', '/portal/');
      await showTracking();
    } catch (e) { say(e.message, true); }
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  $('kb-form').addEventListener('submit', (ev) => { ev.preventDefault(); searchKb($('kb-q').value); });
  $('kb-article-close').addEventListener('click', () => {
    $('kb-article').hidden = true;
    history.replaceState(null, '', '/portal/');
    $('kb-q').focus();
  });
  $('subject').addEventListener('input', scheduleSuggestions);
  $('message').addEventListener('input', scheduleSuggestions);
  $('answered').addEventListener('click', async () => {
    if (!kbSession) return;
    try {
      await api('POST', '/api/v1/kb/suggestions/' + kbSession + '/outcome', { deflected: true });
      kbSession = null;
      suggestedFor = '';
      $('web-form').reset();
      $('suggestions').hidden = true;
      say('Glad it helped. You can still write to us any time.');
    } catch (e) { say(e.message, true); }
  });
  $('web-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearTimeout(suggestTimer);
    try {
      const r = await api('POST', '/api/v1/channels/web-form' + (kbSession ? '?kbSession=' + kbSession : ''), {
        name: $('name').value, email: $('email').value, subject: $('subject').value, message: $('message').value,
      });
      kbSession = null;
      suggestedFor = '';
      say('Thank you — your request is #' + r.ticketId + '. We will answer by e-mail.');
      if (r.trackingToken) {
        const a = text('a', 'Follow your request');
        a.id = 'track-link';
        a.href = '/portal/#track=' + r.trackingToken;
        $('status').append(' ', a, ' (keep this link: it shows your request and our answers).');
      }
      $('web-form').reset();
      $('suggestions').hidden = true;
    } catch (e) { say(e.message, true); }
  });
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/v1/customer/magic-link', { email: $('signin-email').value });
      say(r.status);
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
  window.addEventListener('hashchange', route);
  if (location.hash) {
    await route();
  } else {
    try {
      const s = await api('GET', '/api/v1/session');
      if (s.kind === 'customer') { csrf = s.csrfToken || ''; await showTracking(); }
    } catch (e) { /* not signed in */ }
  }
});
