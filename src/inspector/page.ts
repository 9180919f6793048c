/**
 * The inspector's page: one self-contained HTML document (its style and script inline, nothing fetched from
 * elsewhere), kept as TypeScript string constants so that `tsc` ships it in `dist` with the rest.
 *
 * The script reads the token (if any) from its own URL, opens `/events` (Server-Sent Events) and renders
 * from what arrives: the machine graphs as nested boxes with the current state highlighted, each actor's
 * transitions listed in its states, the snapshot, and the timeline. It builds the DOM with `textContent`
 * only: nothing received is ever parsed as HTML.
 */
import { createHash } from 'node:crypto';

export const PAGE_STYLE = String.raw`
:root { --bg:#f6f7f9; --fg:#1d2433; --muted:#667085; --line:#d0d5dd; --box:#fff; --active:#e8f1ff;
  --current:#1f6feb; --taken:#b54708; --bad:#b42318; --good:#067647; --warn:#b54708; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:10px 16px; background:#101828; color:#fff; }
header h1 { font-size:15px; margin:0 12px 0 0; }
.badge { display:inline-block; padding:2px 8px; border-radius:10px; background:#344054; color:#fff; font-weight:600; }
.badge.connected, .badge.running, .badge.ready { background:var(--good); }
.badge.degraded, .badge.backoff, .badge.connecting, .badge.restarting, .badge.waiting, .badge.refreshing,
.badge.starting { background:var(--warn); }
.badge.givenUp { background:var(--bad); }
#facts { display:flex; flex-wrap:wrap; gap:10px; color:#d0d5dd; }
#facts b { color:#fff; font-weight:600; }
#live { margin-left:auto; font-size:12px; }
#live.on::before { content:"\25CF  "; color:#32d583; }
#live.off::before { content:"\25CF  "; color:#f04438; }
#actions { display:flex; gap:8px; flex-wrap:wrap; padding:8px 16px; border-bottom:1px solid var(--line); background:#fff; }
#actions:empty { display:none; }
#actions button { font:inherit; padding:4px 12px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
#actions button:disabled { opacity:.5; cursor:progress; }
#action-result { color:var(--muted); align-self:center; }
main { display:grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 1fr); gap:16px; padding:16px; }
.actor { background:var(--box); border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin-bottom:16px; }
.actor > h2 { font-size:14px; margin:0 0 8px; display:flex; gap:8px; align-items:center; }
.actor > h2 code { font-weight:400; color:var(--muted); }
.chart { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-start; }
.state { border:1px solid var(--line); border-radius:8px; padding:6px 8px; background:var(--box); min-width:120px; }
.state > .name { font-weight:600; display:flex; gap:6px; align-items:baseline; }
.state > .name .tags { font-weight:400; color:var(--muted); font-size:11px; }
.state.final { border-style:double; border-width:3px; }
.state.initial > .name::before { content:"\25B8"; color:var(--muted); }
.state.active { background:var(--active); border-color:var(--current); }
.state.current { border-width:2px; border-color:var(--current); box-shadow:0 0 0 3px rgba(31,111,235,.25); }
.state.current > .name { color:var(--current); }
.state > ul { list-style:none; margin:4px 0 0; padding:0; font-size:11px; color:var(--muted); }
.state > ul li.taken { color:var(--taken); font-weight:600; }
.state > .children { display:flex; flex-wrap:wrap; gap:6px; margin-top:6px; }
.anywhere { font-size:11px; color:var(--muted); margin-top:6px; }
.failure { color:var(--bad); font-size:12px; margin:4px 0 8px; }
aside h2 { font-size:14px; margin:0 0 8px; }
#timeline { list-style:none; margin:0; padding:0; font-size:12px; max-height:80vh; overflow:auto; }
#timeline li { padding:4px 6px; border-bottom:1px solid var(--line); background:#fff; }
#timeline li .t { color:var(--muted); font-variant-numeric:tabular-nums; margin-right:6px; }
#timeline li .a { font-weight:600; margin-right:6px; }
#timeline li .e { color:var(--muted); overflow-wrap:anywhere; }
#timeline li.action { background:#fffaeb; }
#timeline li.action.failed { background:#fef3f2; }
`;

export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var token = params.get('token');
  var withToken = function (path) { return token ? path + '?token=' + encodeURIComponent(token) : path; };
  var model = null;
  var lastTaken = {};

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null || attrs[k] === false) continue;
      if (k === 'text') el.textContent = String(attrs[k]); else el.setAttribute(k, String(attrs[k]));
    }
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return el;
  }
  function rel(graph, id) { return id === graph.id ? graph.id : id.slice(graph.id.length + 1); }
  function within(path, current) { return current === path || current.indexOf(path + '.') === 0; }
  function label(t) { return t.guard ? t.label + ' [' + t.guard + ']' : t.label; }
  function time(at) {
    var d = new Date(at);
    var p = function (n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; };
    return p(d.getHours(), 2) + ':' + p(d.getMinutes(), 2) + ':' + p(d.getSeconds(), 2) + '.' + p(d.getMilliseconds(), 3);
  }
  function isTaken(graph, t, last) {
    if (!last || t.event !== last.event) return false;
    if (!within(rel(graph, t.source), last.fromPath) && t.source !== graph.id) return false;
    return t.targets.some(function (id) { return within(rel(graph, id), last.toPath); });
  }

  function renderState(graph, state, parent, current, last) {
    var path = state.path;
    var classes = ['state'];
    if (within(path, current)) classes.push('active');
    if (path === current) classes.push('current');
    if (state.type === 'final') classes.push('final');
    if (parent && parent.initial === state.key) classes.push('initial');
    var out = graph.transitions.filter(function (t) { return t.source === state.id; });
    var items = out.map(function (t) {
      var to = t.targets.length ? ' \u2192 ' + t.targets.map(function (id) { return rel(graph, id); }).join(', ') : ' (stays)';
      return h('li', { 'class': isTaken(graph, t, last) ? 'taken' : null, text: label(t) + to });
    });
    return h('div', { 'class': classes.join(' '), 'data-path': path, 'data-state': state.key }, [
      h('div', { 'class': 'name' }, [
        h('span', { text: state.key }),
        state.tags.length ? h('span', { 'class': 'tags', text: state.tags.join(' ') }) : null,
        state.invokes.length ? h('span', { 'class': 'tags', text: 'runs ' + state.invokes.join(', ') }) : null,
      ]),
      items.length ? h('ul', null, items) : null,
      state.states.length ? h('div', { 'class': 'children' }, state.states.map(function (c) {
        return renderState(graph, c, state, current, last);
      })) : null,
    ]);
  }

  function renderActor(actor) {
    var graph = model.machines[actor.machine];
    var last = lastTaken[actor.id];
    var children = [
      h('h2', null, [
        h('span', { text: actor.id }),
        h('span', { 'class': 'badge ' + actor.state, 'data-role': 'state', text: actor.state }),
        h('code', { 'data-role': 'path', text: actor.path }),
      ]),
    ];
    if (actor.id === 'connection' && model.snapshot && model.snapshot.lastFailure && actor.state !== 'connected') {
      var f = model.snapshot.lastFailure;
      children.push(h('div', { 'class': 'failure', text: 'last failure: ' + f.code + ' \u2014 ' + f.message }));
    }
    if (graph) {
      children.push(h('div', { 'class': 'chart' }, graph.root.states.map(function (s) {
        return renderState(graph, s, graph.root, actor.path, last);
      })));
      var global = graph.transitions.filter(function (t) { return t.source === graph.id; });
      if (global.length) children.push(h('div', { 'class': 'anywhere', text: 'from any state: ' + global.map(function (t) {
        return label(t) + (t.targets.length ? ' \u2192 ' + t.targets.map(function (id) { return rel(graph, id); }).join(', ') : ' (stays)');
      }).join('; ') }));
    }
    return h('section', { 'class': 'actor', 'data-actor': actor.id, 'data-state': actor.state, 'data-path': actor.path }, children);
  }

  function renderActors() {
    var root = document.getElementById('actors');
    root.replaceChildren.apply(root, model.actors.map(renderActor));
  }

  function renderFacts() {
    var s = model.snapshot;
    var facts = document.getElementById('facts');
    if (!s) { facts.replaceChildren(); return; }
    var list = [['state', s.state], ['attempt', s.attempt], ['pending requests', s.pendingRequests]];
    if (s.retryAfterMs !== undefined && s.retryAfterMs !== null) list.push(['retry in', Math.round(s.retryAfterMs) + ' ms']);
    if (s.lastProbeLatencyMs !== undefined && s.lastProbeLatencyMs !== null) list.push(['last probe', s.lastProbeLatencyMs + ' ms']);
    facts.replaceChildren.apply(facts, list.map(function (f) { return h('span', null, [f[0] + ': ', h('b', { text: f[1] })]); }));
    var badge = document.getElementById('state');
    badge.textContent = s.state;
    badge.className = 'badge ' + s.state;
  }

  function timelineItem(entry) {
    if (entry.kind === 'action') {
      return h('li', { 'class': 'action' + (entry.ok ? '' : ' failed'), 'data-actor': 'action' }, [
        h('span', { 'class': 't', text: time(entry.at) }),
        h('span', { 'class': 'a', text: 'action ' + entry.label }),
        h('span', { text: entry.ok ? 'done' : 'failed: ' + entry.error }),
      ]);
    }
    return h('li', { 'data-actor': entry.actor, 'data-to': entry.to, 'data-to-path': entry.toPath }, [
      h('span', { 'class': 't', text: time(entry.at) }),
      h('span', { 'class': 'a', text: entry.actor }),
      h('span', { text: entry.fromPath + ' \u2192 ' + entry.toPath + ' ' }),
      h('span', { 'class': 'e', text: entry.event }),
    ]);
  }

  function renderTimeline() {
    var list = document.getElementById('timeline');
    list.replaceChildren.apply(list, model.timeline.slice().reverse().map(timelineItem));
  }

  function pushTimeline(entry) {
    model.timeline.push(entry);
    if (model.timeline.length > model.timelineSize) model.timeline.shift();
    var list = document.getElementById('timeline');
    list.insertBefore(timelineItem(entry), list.firstChild);
    while (list.children.length > model.timelineSize) list.removeChild(list.lastChild);
  }

  function renderActions() {
    var bar = document.getElementById('actions');
    var result = h('span', { id: 'action-result' });
    var buttons = model.actions.map(function (a) {
      var b = h('button', { type: 'button', 'data-action': a.id, text: a.label });
      b.addEventListener('click', function () {
        if (a.confirm && !window.confirm(a.confirm)) return;
        b.disabled = true;
        result.textContent = a.label + '\u2026';
        var headers = { 'Content-Type': 'application/json' };
        if (token) headers.Authorization = 'Bearer ' + token;
        fetch('actions/' + encodeURIComponent(a.id), { method: 'POST', headers: headers, body: '{}' })
          .then(function (r) { return r.json(); })
          .then(function (body) { result.textContent = a.label + ': ' + (body.ok ? 'done' : 'failed: ' + body.error); })
          .catch(function (e) { result.textContent = a.label + ': failed: ' + e.message; })
          .then(function () { b.disabled = false; });
      });
      return b;
    });
    if (buttons.length) buttons.push(result);
    bar.replaceChildren.apply(bar, buttons);
  }

  function upsertActor(id, state, path) {
    var found = model.actors.filter(function (a) { return a.id === id; })[0];
    if (found) { found.state = state; found.path = path; return; }
    model.actors.push({ id: id, machine: id.split(':')[0], state: state, path: path });
  }

  function connect() {
    var live = document.getElementById('live');
    var source = new EventSource(withToken('events'));
    source.addEventListener('hello', function (e) {
      model = JSON.parse(e.data);
      lastTaken = {};
      model.timeline.forEach(function (t) { if (t.kind === 'transition') lastTaken[t.actor] = t; });
      document.title = model.title;
      document.getElementById('title').textContent = model.title;
      renderActions(); renderFacts(); renderActors(); renderTimeline();
      live.className = 'on'; live.textContent = 'live';
    });
    source.addEventListener('transition', function (e) {
      if (!model) return;
      var t = JSON.parse(e.data);
      upsertActor(t.actor, t.to, t.toPath);
      lastTaken[t.actor] = t;
      pushTimeline(t);
      renderActors();
    });
    source.addEventListener('snapshot', function (e) {
      if (!model) return;
      model.snapshot = JSON.parse(e.data);
      renderFacts();
    });
    source.addEventListener('action', function (e) {
      if (!model) return;
      pushTimeline(JSON.parse(e.data));
    });
    source.addEventListener('error', function () { live.className = 'off'; live.textContent = 'reconnecting to the inspector'; });
  }
  connect();
})();
`;

/** A CSP source expression allowing exactly this inline text. */
function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The Content-Security-Policy of the page: only its own inline style and script, and requests to itself. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(PAGE_SCRIPT)}`,
  `style-src ${cspHash(PAGE_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The whole page; `title` is escaped. */
export function renderPage(title: string): string {
  const safe = title.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${safe}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1 id="title">${safe}</h1><span id="state" class="badge">…</span><div id="facts"></div><span id="live" class="off">connecting to the inspector</span></header>
<div id="actions"></div>
<main>
<div id="actors"></div>
<aside><h2>Timeline <small>(newest first)</small></h2><ol id="timeline"></ol></aside>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
