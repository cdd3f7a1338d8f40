// The agent workspace: plain JavaScript over the JSON API (docs/openapi.json).
// The session cookie is HttpOnly; unsafe calls send the session's CSRF token.
'use strict';

const state = { me: null, csrf: '', view: 'status=new,open&sort=queue', saved: null, ticket: null, agents: [] };
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
  loadSavedViews();
}

const kDefaultColumns = ['id', 'subject', 'status', 'priority', 'assignee'];
const kColumnTitles = { id: '#', assignee: 'Assignee', requester: 'Requester', group: 'Group' };

function columnTitle(c) {
  if (kColumnTitles[c]) return kColumnTitles[c];
  const name = c.startsWith('custom_fields.') ? c.slice('custom_fields.'.length) : c;
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// A ticket's value in a view column (column names: helpdesk/desk/views.h).
function cell(t, c) {
  const camel = (n) => n.replace(/_([a-z])/g, (m, x) => x.toUpperCase());
  let v;
  if (c.startsWith('custom_fields.')) {
    v = (t.customFields || {})[c.slice('custom_fields.'.length)];
    if (v && typeof v === 'object') v = Object.values(v).join(', ');
  } else if (c === 'assignee') {
    v = agentName(t.assigneeId);
  } else if (c === 'requester' || c === 'organization' || c === 'group') {
    v = t[c + 'Id'] || '';
  } else if (c === 'priority' || c === 'type' || c === 'channel' || c === 'status_category') {
    v = String(t[camel(c)] || '').replace(/^(PRIORITY|TICKET_TYPE|CHANNEL|STATUS_CATEGORY)_/, '').toLowerCase();
  } else if (c.endsWith('_at') || c === 'sla_next_deadline') {
    v = when(t[camel(c)]);
  } else {
    v = t[camel(c)];
    if (Array.isArray(v)) v = v.join(', ');
  }
  return v === undefined || v === null ? '' : String(v);
}

function renderQueue(tickets, columns) {
  const head = $('queue').querySelector('thead tr');
  head.replaceChildren();
  for (const c of columns) {
    const th = text('th', columnTitle(c));
    th.scope = 'col';
    head.append(th);
  }
  const body = $('queue').querySelector('tbody');
  body.replaceChildren();
  for (const t of tickets) {
    const tr = document.createElement('tr');
    for (const c of columns) {
      if (c === 'subject') {
        const td = document.createElement('td');
        const a = text('a', t.subject);
        a.href = '#ticket-' + t.id;
        a.addEventListener('click', (ev) => { ev.preventDefault(); openTicket(t.id); });
        td.append(a);
        tr.append(td);
      } else {
        tr.append(text('td', cell(t, c)));
      }
    }
    body.append(tr);
  }
  if (!tickets.length) {
    const tr = document.createElement('tr');
    const td = text('td', 'No tickets in this view.');
    td.colSpan = columns.length;
    tr.append(td);
    body.append(tr);
  }
}

// The saved views (personal, then shared) with their counts; a click shows
// the view's tickets in the queue.
async function loadSavedViews() {
  const list = $('saved-views');
  try {
    const data = await api('GET', '/api/v1/views');
    list.replaceChildren();
    for (const { view, count } of data.views || []) {
      const li = document.createElement('li');
      const b = text('button', view.name + ' (' + (count || 0) + ')');
      b.type = 'button';
      b.dataset.savedView = view.id;
      b.title = view.ownerAgentId && view.ownerAgentId !== '0' ? 'Personal view' : 'Shared view';
      b.addEventListener('click', () => { state.saved = view; loadQueue(); });
      li.append(b);
      list.append(li);
    }
    if (!(data.views || []).length) list.append(text('li', 'No saved views yet.'));
  } catch (e) {
    list.replaceChildren(text('li', 'Saved views are unavailable: ' + e.message));
  }
}

// The current built-in view and subject search as a view spec
// (CreateViewRequest in serve_api.proto).
function currentViewSpec(name) {
  if (state.saved) {
    const filter = Object.assign({}, state.saved.filter || {});
    if ($('search').value) filter.subjectContains = $('search').value;
    return { name, filter, sort: state.saved.sort, columns: state.saved.columns };
  }
  const p = new URLSearchParams(state.view);
  const filter = {};
  if (p.get('status')) filter.statuses = p.get('status').split(',').filter((x) => x);
  if (p.get('assignee') === 'me') filter.assigneeIsViewer = true;
  if (p.get('assignee') === 'none') filter.assigneeId = 0;
  if ($('search').value) filter.subjectContains = $('search').value;
  const sorts = { queue: 'priority', created: '-created_at', updated: '-updated_at', sla: 'sla_next_deadline' };
  return { name, filter, sort: sorts[p.get('sort') || 'queue'],
           columns: ['id', 'subject', 'status', 'priority', 'assignee'] };
}

async function loadSavedView(view) {
  const page = await api('GET', '/api/v1/views/' + view.id + '/tickets');
  $('queue-h').textContent = 'Queue: ' + page.view.name;
  renderQueue(page.tickets || [], page.view.columns && page.view.columns.length ? page.view.columns : kDefaultColumns);
}

async function loadQueue() {
  if (state.saved) {
    try { await loadSavedView(state.saved); } catch (e) { say(e.message, true); }
    return;
  }
  $('queue-h').textContent = 'Queue';
  try {
    const q = state.view + ($('search').value ? '&q=' + encodeURIComponent($('search').value) : '');
    const data = await api('GET', '/api/v1/tickets?' + q);
    renderQueue(data.tickets || [], kDefaultColumns);
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
    b.addEventListener('click', () => { state.view = b.dataset.view; state.saved = null; loadQueue(); });
  }
  $('save-view-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const v = await api('POST', '/api/v1/views', currentViewSpec($('view-name').value));
      $('view-name').value = '';
      say('Saved view "' + v.name + '".');
      await loadSavedViews();
    } catch (e) { say(e.message, true); }
  });
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
