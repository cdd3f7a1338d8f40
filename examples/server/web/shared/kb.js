// The knowledge base's lists, shared by the agent workspace (agent/app.js)
// and the customer portal (portal/portal.js), which load this script first:
// search hits with their snippets, suggestions with their reasons.
'use strict';

// Appends to `list` one item per search hit (GET /api/v1/kb/search's
// results): the link `link(articleId, title)` makes and the snippet, which
// the desk has escaped, with <mark> around the matches. A list left empty
// says that no article matches.
function kbListHits(list, hits, link) {
  for (const hit of hits || []) {
    const li = document.createElement('li');
    li.append(link(hit.articleId, hit.title));
    const snip = document.createElement('span');
    snip.className = 'snippet';
    snip.innerHTML = hit.snippetHtml || '';
    li.append(snip);
    list.append(li);
  }
  if (!list.children.length) {
    const li = document.createElement('li');
    li.textContent = 'No articles match.';
    list.append(li);
  }
}

// Appends to `list` one item per suggestion (POST /api/v1/kb/suggest's):
// the link `link(articleId, title)` makes and the reason it was suggested.
function kbListSuggestions(list, suggestions, link) {
  for (const sug of suggestions || []) {
    const li = document.createElement('li');
    li.append(link(sug.articleId, sug.title));
    const reason = document.createElement('span');
    reason.className = 'reason';
    reason.textContent = sug.reason || '';
    li.append(reason);
    list.append(li);
  }
}
