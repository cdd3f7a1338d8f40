// The agent workspace: plain JavaScript over the JSON API (docs/openapi.json).
// The session cookie is HttpOnly; unsafe calls send the session's CSRF token.
'use strict';

const state = { me: null, csrf: '', view: 'status=new,open&sort=queue', ticket: null, agents: [] };
const $ = (id) => document.getElementById(id);

function say(text, isError) {
  const s = $('status');
  s.textContent = text || '';
  s.className = isError ? 'error' : '';
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || ('HTTP ' + res.status));
  return data;
}

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}

function when(ts) { return ts ? new Date(ts).toLocaleString() : ''; }

function duration(seconds) {
  const s = Math.abs(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return (seconds < 0 ? '-' : '') + (h ? h + 'h ' : '') + m + 'm';
}

function agentName(id) {
  const a = state.agents.find((x) => String(x.id) === String(id));
  return a ? a.name : (id ? 'agent ' + id : 'unassigned');
}

async function start() {
  try {
    const s = await api('GET', '/api/v1/session');
    if (s.kind !== 'agent') throw new Error('not an agent');
    signedIn(s);
  } catch (e) {
    $('login').hidden = false;
  }
}

async function signedIn(s) {
  state.me = s;
  state.csrf = s.csrfToken || '';
  $('login').hidden = true;
  $('workspace').hidden = false;
  $('presence-form').hidden = false;
  $('whoami').textContent = 'Signed in as ' + s.name;
  try { state.agents = (await api('GET', '/api/v1/agents')).agents || []; } catch (e) { state.agents = []; }
  const me = state.agents.find((a) => String(a.id) === String(s.agentId));
  if (me && me.presence) $('presence').value = me.presence;
  const sel = $('f-assignee');
  sel.replaceChildren(new Option('unassigned', '0'));
  for (const a of state.agents) if (!a.deactivated) sel.add(new Option(a.name, a.id));
  loadQueue();
}

async function loadQueue() {
  try {
    const q = state.view + ($('search').value ? '&q=' + encodeURIComponent($('search').value) : '');
    const data = await api('GET', '/api/v1/tickets?' + q);
    const body = $('queue').querySelector('tbody');
    body.replaceChildren();
    for (const t of data.tickets || []) {
      const tr = document.createElement('tr');
      tr.append(text('td', t.id));
      const td = document.createElement('td');
      const a = text('a', t.subject);
      a.href = '#ticket-' + t.id;
      a.addEventListener('click', (ev) => { ev.preventDefault(); openTicket(t.id); });
      td.append(a);
      tr.append(td, text('td', t.status), text('td', (t.priority || '').replace('PRIORITY_', '').toLowerCase()),
                text('td', agentName(t.assigneeId)));
      body.append(tr);
    }
    if (!(data.tickets || []).length) {
      const tr = document.createElement('tr');
      const td = text('td', 'No tickets in this view.');
      td.colSpan = 5;
      tr.append(td);
      body.append(tr);
    }
  } catch (e) { say(e.message, true); }
}

async function openTicket(id) {
  try {
    const page = await api('GET', '/api/v1/tickets/' + id);
    const t = page.ticket;
    state.ticket = t;
    $('ticket').hidden = false;
    $('ticket-h').textContent = '#' + t.id + ' ' + t.subject;
    $('f-status').value = t.status;
    $('f-priority').value = t.priority || 'PRIORITY_NORMAL';
    $('f-assignee').value = t.assigneeId || '0';
    $('offer').hidden = !(t.routingOfferExpiresAt && String(t.assigneeId) === String(state.me.agentId));
    const sla = $('sla');
    sla.replaceChildren();
    for (const m of (page.sla && page.sla.metrics) || []) {
      const left = Number(m.secondsLeft || 0);
      const li = text('li', m.metric.replace('_', ' ') + ': ' + m.state +
                      (m.dueAt ? ' — due ' + when(m.dueAt) + ' (' + duration(left) + ' left)' : ''),
                      m.state === 'breached' ? 'breached' : '');
      sla.append(li);
    }
    if (!sla.children.length) sla.append(text('li', 'No SLA applies.'));
    $('why').textContent = page.routingDecision ? page.routingDecision.note || 'routed' : 'Not placed by routing.';
    const thread = $('thread');
    thread.replaceChildren();
    for (const m of page.messages || []) {
      const internal = m.kind === 'INTERNAL_NOTE';
      const li = document.createElement('li');
      if (internal) { li.className = 'internal'; li.append(text('span', 'Internal note', 'badge')); }
      li.append(text('span', (m.author && m.author.kind === 'AGENT' ? agentName(m.author.id) : 'customer') +
                     ' · ' + when(m.createdAt), 'meta'));
      li.append(document.createTextNode(m.bodyText || ''));
      thread.append(li);
    }
    $('ticket-h').focus();
    ticketSuggestions(t.id);
  } catch (e) { say(e.message, true); }
}

// --- The knowledge base (every article the agent may see, drafts aside) ---

function kbLink(id, title) {
  const a = text('a', title);
  a.href = '#article-' + id;
  a.addEventListener('click', (ev) => { ev.preventDefault(); showArticle(id); });
  return a;
}

async function searchKb(q) {
  $('kb').hidden = false;
  const list = $('kb-results');
  list.replaceChildren();
  try {
    const r = await api('GET', '/api/v1/kb/search?q=' + encodeURIComponent(q));
    for (const hit of r.results || []) {
      const li = document.createElement('li');
      li.append(kbLink(hit.articleId, hit.title));
      const snip = document.createElement('span');
      snip.className = 'snippet';
      snip.innerHTML = hit.snippetHtml || '';  // escaped by the desk, <mark> around matches
      li.append(snip);
      list.append(li);
    }
    if (!list.children.length) list.append(text('li', 'No articles match.'));
  } catch (e) { say(e.message, true); }
}

async function showArticle(id) {
  try {
    const a = await api('GET', '/api/v1/kb/articles/' + id);
    $('kb').hidden = false;
    $('kb-view-article').hidden = false;
    $('kb-view-h').textContent = a.title;
    $('kb-view-body').innerHTML = a.html || '';  // the desk's safe rendering
    $('kb-view-h').focus();
  } catch (e) { say(e.message, true); }
}

async function ticketSuggestions(id) {
  const list = $('ticket-kb');
  list.replaceChildren();
  try {
    const s = await api('POST', '/api/v1/kb/suggest', { ticketId: id });
    for (const sug of s.suggestions || []) {
      const li = document.createElement('li');
      li.append(kbLink(sug.articleId, sug.title));
      li.append(text('span', sug.reason || '', 'reason'));
      list.append(li);
    }
  } catch (e) { /* a help, not a requirement */ }
  if (!list.children.length) list.append(text('li', 'No article matches this ticket.'));
}

document.addEventListener('DOMContentLoaded', () => {
  $('ticket-h').tabIndex = -1;
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      signedIn(await api('POST', '/api/v1/login', { email: $('email').value, password: $('password').value }));
    } catch (e) { say(e.message, true); }
  });
  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/api/v1/logout'); } catch (e) { /* already out */ }
    location.reload();
  });
  $('presence').addEventListener('change', async () => {
    try {
      await api('PUT', '/api/v1/agents/' + state.me.agentId + '/presence', { presence: $('presence').value });
      say('Presence: ' + $('presence').selectedOptions[0].text);
      loadQueue();
    } catch (e) { say(e.message, true); }
  });
  $('next-ticket').addEventListener('click', async () => {
    try { const t = await api('POST', '/api/v1/routing/next', {}); openTicket(t.id); loadQueue(); }
    catch (e) { say(e.message, true); }
  });
  for (const b of document.querySelectorAll('#views button')) {
    b.addEventListener('click', () => { state.view = b.dataset.view; loadQueue(); });
  }
  $('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadQueue(); });
  $('kb-form').addEventListener('submit', (ev) => { ev.preventDefault(); searchKb($('kb-q').value); });
  $('faq-draft').addEventListener('click', async () => {
    try {
      const a = await api('POST', '/api/v1/tickets/' + state.ticket.id + '/faq-draft', {});
      say('FAQ draft #' + a.id + ' saved; publish it from the knowledge base.');
    } catch (e) { say(e.message, true); }
  });
  $('fields-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = state.ticket;
    try {
      await api('PATCH', '/api/v1/tickets/' + t.id, {
        status: $('f-status').value, priority: $('f-priority').value,
        assigneeId: Number($('f-assignee').value), expectedVersion: t.version,
      });
      say('Saved.');
      openTicket(t.id); loadQueue();
    } catch (e) { say(e.message, true); }
  });
  $('reply-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const kind = ev.submitter && ev.submitter.dataset.kind === 'notes' ? 'notes' : 'messages';
    try {
      await api('POST', '/api/v1/tickets/' + state.ticket.id + '/' + kind, { bodyText: $('reply-body').value });
      $('reply-body').value = '';
      say(kind === 'notes' ? 'Note added.' : 'Reply sent.');
      openTicket(state.ticket.id);
    } catch (e) { say(e.message, true); }
  });
  for (const [id, verb] of [['accept', 'accept'], ['decline', 'decline']]) {
    $(id).addEventListener('click', async () => {
      try { await api('POST', '/api/v1/tickets/' + state.ticket.id + '/' + verb); openTicket(state.ticket.id); loadQueue(); }
      catch (e) { say(e.message, true); }
    });
  }
  start();
});
