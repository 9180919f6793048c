/**
 * The inspector page's script (inline in the page, allowed by its hash in the CSP). It builds the DOM and
 * SVG with `textContent` and attributes only: nothing received is ever parsed as HTML.
 *
 * Live, it reads the token from its own URL and opens `/events`; in a recording (an element
 * `#recording` holding JSON), it replays what was recorded, with a slider to move through time. Either way
 * it draws: the header (state, down since, next retry), the supervision tree, the selected actor's
 * statechart from the server's layout (active path highlighted, last transition animated), the state bands
 * per actor with request marks, and the list of entries with repeated loops collapsed; a click on an entry
 * shows its payload and the connection's context at that moment.
 */
import { PAGE_DRAW } from './page-draw.js';

const BEFORE = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var params = new URLSearchParams(location.search);
  var token = params.get('token');
  var recording = document.getElementById('recording');
  var replay = !!recording;
  var model = null, selected = 'connection', skew = 0, replayAt = null, chosen = null;
  var fresh = {}, renderQueued = false, MAX_LIST = 400, zoomed = false;

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    return fill(el, attrs, children);
  }
  function s(tag, attrs, children) { return fill(document.createElementNS(SVG, tag), attrs, children); }
  function fill(el, attrs, children) {
    if (attrs) for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null || attrs[k] === false) continue;
      if (k === 'text') el.textContent = String(attrs[k]); else el.setAttribute(k, String(attrs[k]));
    }
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return el;
  }
  function within(path, current) { return path === '' || current === path || current.indexOf(path + '.') === 0; }
  function pad(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; }
  function wall(at) { return at - skew; }
  function clock(at) {
    var d = new Date(wall(at));
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2);
  }
  function stamp(at) {
    var d = new Date(wall(at));
    return d.getFullYear() + '-' + pad(d.getMonth() + 1, 2) + '-' + pad(d.getDate(), 2) + ' ' + clock(at);
  }
  function clockMs(at) { return clock(at) + '.' + pad(new Date(wall(at)).getMilliseconds(), 3); }
  function span(ms) {
    if (ms < 0 || !isFinite(ms)) return '\u2014';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.floor((ms % 60000) / 1000) + ' s';
    return Math.floor(ms / 3600000) + ' h ' + Math.floor((ms % 3600000) / 60000) + ' min';
  }
  function now() { return replay ? replayAt : Date.now() + skew; }
  function words(name) {
    return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  }
  var DONE = { connect: 'connected', probe: 'probe ok', disconnect: 'disconnected', stopChildren: 'children stopped',
    createWorker: 'worker created', runWorker: 'worker ended', shutdownWorker: 'worker shut down',
    checkResume: 'resume checked', refreshWorker: 'worker refreshed', settleRequests: 'requests settled' };
  var FAILED = { connect: 'connect failed', probe: 'probe failed', createWorker: 'worker creation failed',
    runWorker: 'worker crashed' };
  /** A person's name for an event: 'xstate.after.retryDelay.connection.backoff' is 'retry delay elapsed'. */
  function human(raw) {
    var m = /^xstate\.after\.([^.]+)/.exec(raw);
    if (m) return (/^\d+$/.test(m[1]) ? m[1] + ' ms' : words(m[1])) + ' elapsed';
    m = /^xstate\.done\.actor\.(.+)$/.exec(raw);
    if (m) return DONE[m[1]] || words(m[1]) + ' done';
    m = /^xstate\.error\.actor\.(.+)$/.exec(raw);
    if (m) return FAILED[m[1]] || words(m[1]) + ' failed';
    if (raw === 'xstate.init') return 'started';
    return words(raw);
  }

  // ---- the state of every actor, now or at the replay position ----------------------------------------
  function timeline() {
    if (!replay || replayAt === null) return model.timeline;
    var out = [];
    for (var i = 0; i < model.timeline.length && model.timeline[i].at <= replayAt; i++) out.push(model.timeline[i]);
    return out;
  }
  function actorsAt(entries) {
    if (!replay) return model.actors;
    return model.actors.map(function (a) {
      var last = null, first = null;
      model.timeline.forEach(function (t) {
        if (t.kind !== 'transition' || t.actor !== a.id) return;
        if (t.at <= replayAt) last = t; else if (!first) first = t;
      });
      if (last) return { id: a.id, machine: a.machine, state: last.to, path: last.toPath, since: sinceOf(entries, a.id, last.to) };
      if (first) return { id: a.id, machine: a.machine, state: first.from, path: first.fromPath, since: undefined };
      return a;
    });
  }
  function sinceOf(entries, id, state) {
    var since;
    for (var i = entries.length - 1; i >= 0; i--) {
      var t = entries[i];
      if (t.kind !== 'transition' || t.actor !== id) continue;
      if (t.to !== state) break;
      since = t.at;
    }
    return since;
  }
  function lastOf(entries, id) {
    for (var i = entries.length - 1; i >= 0; i--) if (entries[i].kind === 'transition' && entries[i].actor === id) return entries[i];
    return null;
  }
  var SERVING = { connected: 1, degraded: 1 };
  /** When the current outage began: the last step out of a serving state (or the first attempt). */
  function downSince(entries, state) {
    if (SERVING[state] || state === 'disconnected') return undefined;
    var first;
    for (var i = entries.length - 1; i >= 0; i--) {
      var t = entries[i];
      if (t.kind !== 'transition' || t.actor !== 'connection') continue;
      if (SERVING[t.from]) return t.at;
      if (t.from === 'disconnected') return t.at;
      first = t.at;
    }
    return first === undefined ? undefined : { before: first };
  }

  /**
   * In a replay, when the backoff at the replay position retries, as the live page showed it: the backoff's
   * delay from its entry; once spreading, the drawn delay, which the recording tells by when spreading ended
   * (unknown if it ends after the recording). entries: the timeline up to the replay position.
   */
  function replayRetryAt(entries, last) {
    if (!last) return undefined;
    if (last.toPath === 'backoff.spreading') {
      for (var i = entries.length; i < model.timeline.length; i++) {
        var next = model.timeline[i];
        if (next.kind === 'transition' && next.actor === 'connection') return next.at;
      }
      return undefined;
    }
    for (var j = entries.length - 1; j >= 0; j--) {
      var e = entries[j];
      if (e.kind !== 'transition' || e.actor !== 'connection' || e.from === 'backoff') continue;
      return e.context ? e.at + e.context.retryDelayMs : undefined;
    }
    return undefined;
  }

  // ---- header ---------------------------------------------------------------------------------------------
  function renderHeader(entries, actors) {
    var conn = actors.filter(function (a) { return a.id === 'connection'; })[0];
    var last = lastOf(entries, 'connection');
    var snap = replay ? (last && last.context) || model.snapshot : model.snapshot;
    var state = conn ? conn.state : snap.state;
    var badge = document.getElementById('state');
    badge.textContent = state; badge.className = 'badge ' + state;
    var facts = [];
    var down = downSince(entries, state);
    if (down !== undefined) {
      var at = typeof down === 'number' ? down : down.before;
      facts.push(['down since', (typeof down === 'number' ? '' : 'before ') + clock(at) + ' (' + span(now() - at) + ')', 'down']);
    }
    if (state === 'backoff') {
      var retryAt = replay ? replayRetryAt(entries, last) : undefined;
      var left = replay ? (retryAt === undefined ? undefined : retryAt - now())
        : snap.retryAfterMs !== undefined && snap.retryAfterMs !== null ? snap.retryAfterMs - (Date.now() - snapReceived) : undefined;
      if (left !== undefined) facts.push(['next retry in', span(Math.max(0, left))]);
    }
    facts.push(['attempt', snap.attempt]);
    facts.push(['pending requests', snap.pendingRequests]);
    if (snap.lastProbeLatencyMs !== undefined && snap.lastProbeLatencyMs !== null) facts.push(['last probe', snap.lastProbeLatencyMs + ' ms']);
    if (snap.lastFailure && !SERVING[state]) facts.push(['last failure', snap.lastFailure.code]);
    var el = document.getElementById('facts');
    el.replaceChildren.apply(el, facts.map(function (f) {
      return h('span', { 'class': f[2] || null, 'data-fact': f[0] }, [f[0] + ': ', h('b', { text: f[1] })]);
    }));
  }
  var snapReceived = Date.now();

  // ---- supervision tree -------------------------------------------------------------------------------
  function restarts(entries, id, windowMs) {
    var all = 0, recent = 0, t = now();
    entries.forEach(function (e) {
      if (e.kind === 'transition' && e.actor === id && e.to === 'restarting' && e.from !== 'restarting') {
        all++; if (t - e.at <= windowMs) recent++;
      }
    });
    return [all, recent];
  }
  function lastFailureOf(entries, id) {
    for (var i = entries.length - 1; i >= 0; i--) {
      var e = entries[i];
      if (e.kind === 'transition' && e.actor === id && /^xstate\.error\.actor\./.test(e.event)) return e;
    }
    return null;
  }
  function treeRow(actor, entries, meta) {
    var li = h('li', { 'data-actor': actor.id, 'data-state': actor.state, 'class': actor.id === selected ? 'selected' : null }, [
      h('div', { 'class': 'row' }, [
        h('span', { 'class': 'badge ' + actor.state, text: actor.state }),
        h('span', { 'class': 'id', text: actor.id }),
        h('span', { 'class': 'meta' }, meta),
      ]),
    ]);
    li.firstChild.addEventListener('click', function () { selected = actor.id; render(); });
    return li;
  }
  function renderTree(entries, actors) {
    var conn = actors.filter(function (a) { return a.id === 'connection'; })[0];
    var snap = model.snapshot, t = now();
    var connSince = replay ? conn.since : snap.since;
    var connMeta = [
      'in state ' + (connSince !== undefined ? span(t - connSince) : '\u2014'),
      ' \u00b7 attempt ' + (replay ? ((lastOf(entries, 'connection') || {}).context || snap).attempt : snap.attempt),
      ' \u00b7 pending ' + (replay ? ((lastOf(entries, 'connection') || {}).context || snap).pendingRequests : snap.pendingRequests),
    ];
    var failure = replay ? ((lastOf(entries, 'connection') || {}).context || {}).lastFailure : snap.lastFailure;
    if (failure && !SERVING[conn.state]) connMeta.push(h('span', { 'class': 'bad', text: ' \u00b7 last failure ' + failure.code }));
    var children = actors.filter(function (a) { return a.id !== 'connection'; }).map(function (a) {
      var meta = ['in state ' + (a.since !== undefined ? span(t - a.since) : '\u2014 (before the inspector)')];
      if (a.machine === 'worker') {
        var r = restarts(entries, a.id, 300000);
        meta.push(' \u00b7 restarts ' + r[0] + ' (' + r[1] + ' in 5 min)');
      }
      var ob = a.machine === 'dispatcher' && !replay ? (snap.outboxes || {})[a.id.slice(11)] : undefined;
      if (ob) {
        var d = ob.depth;
        meta.push(' \u00b7 depth ' + (d ? d.pending : '?') + (d && d.pending ? ' (oldest ' + span(d.oldestPendingAgeMs) + ')' : ''));
        meta.push(' \u00b7 started ' + ob.outcomes.started + ' \u00b7 failed ' + ob.outcomes.failed);
      }
      var f = lastFailureOf(entries, a.id);
      if (f) meta.push(h('span', { 'class': 'bad', title: f.event, text: ' \u00b7 last failure ' + human(f.event) + ' at ' + clock(f.at) }));
      return treeRow(a, entries, meta);
    });
    var root = treeRow(conn, entries, connMeta);
    if (children.length) root.appendChild(h('ul', null, children));
    var tree = document.getElementById('tree');
    tree.replaceChildren(h('ul', null, [root]));
  }
`;

const AFTER = String.raw`
  // ---- the list of entries, loops collapsed --------------------------------------------------------
  /**
   * Consecutive entries of one actor that go round the same states (connecting ⇄ backoff), and requests of
   * one source with the same outcome, are one group; groups are listed by their last entry. Linear.
   */
  function groupsOf(entries) {
    var groups = [], open = {};
    entries.forEach(function (e, i) {
      var g;
      if (e.kind === 'request') {
        var key = 'request ' + e.source, what = e.outcome + ' ' + (e.reason || '');
        g = open[key];
        if (g && g.what === what) { g.entries.push(e); g.last = i; return; }
        g = open[key] = { request: true, what: what, entries: [e], last: i };
        groups.push(g);
        return;
      }
      if (e.kind !== 'transition') { groups.push({ entries: [e], last: i }); return; }
      g = open[e.actor];
      if (g && g.lastTo === e.fromPath && g.states[e.toPath]) { g.entries.push(e); g.at.push(i); g.lastTo = e.toPath; g.last = i; return; }
      g = { actor: e.actor, entries: [e], at: [i], states: {}, order: [e.fromPath, e.toPath], lastTo: e.toPath, last: i };
      g.states[e.fromPath] = 1; g.states[e.toPath] = 1;
      open[e.actor] = g; groups.push(g);
    });
    // A loop of fewer than 4 steps is not collapsed: its steps are listed each in its own place.
    var out = [];
    groups.forEach(function (g) {
      if (g.at && g.entries.length < 4) g.entries.forEach(function (e, k) { out.push({ entries: [e], last: g.at[k] }); });
      else out.push(g);
    });
    return out.sort(function (x, y) { return x.last - y.last; });
  }
  function short(path) { return path.replace(/^online\./, ''); }
  function listItem(group) {
    var e = group.entries[group.entries.length - 1];
    var li;
    if (!group.request && group.entries.length >= 4) {
      var loops = group.entries.filter(function (x) { return x.toPath === group.order[1]; }).length;
      var first = group.entries[0];
      var failure = e.context && e.context.lastFailure ? ', last failure ' + e.context.lastFailure.code : '';
      li = h('li', { 'class': 'loop', 'data-actor': e.actor, 'data-loop': group.order.join(' '), 'data-count': loops }, [
        h('span', { 'class': 't', text: clock(first.at) + '\u2013' + clock(e.at) }),
        h('span', { 'class': 'a', text: e.actor }),
        h('span', { text: group.order.map(short).join(' \u21c4 ') + ' \u00d7' + loops + ', ' + span(e.at - first.at) + failure }),
      ]);
    } else if (e.kind === 'action') {
      li = h('li', { 'class': 'action' + (e.ok ? '' : ' failed'), 'data-actor': 'action' }, [
        h('span', { 'class': 't', text: clockMs(e.at) }), h('span', { 'class': 'a', text: 'action ' + e.label }),
        h('span', { text: e.ok ? 'done' : 'failed: ' + e.error }),
      ]);
    } else if (e.kind === 'request') {
      var n = group.entries.length, from = group.entries[0];
      li = h('li', { 'class': 'request ' + e.outcome, 'data-actor': 'request', 'data-outcome': e.outcome, 'data-count': n }, [
        h('span', { 'class': 't', text: n > 1 ? clock(from.at) + '\u2013' + clock(e.at) : clockMs(e.at) }), h('span', { 'class': 'a', text: e.source }),
        h('span', { text: 'request ' + e.outcome + (e.reason ? ': ' + e.reason : '') + (n > 1 ? ' \u00d7' + n + ', ' + span(e.at - from.at) : '') }),
      ]);
    } else {
      // Fewer than 4 steps: each shown on its own.
      var lis = group.entries.map(transitionItem);
      return lis;
    }
    li.addEventListener('click', function () { choose(group, li); });
    return [li];
  }
  function transitionItem(e) {
    var li = h('li', { 'data-actor': e.actor, 'data-to': e.to, 'data-to-path': e.toPath }, [
      h('span', { 'class': 't', text: clockMs(e.at) }),
      h('span', { 'class': 'a', text: e.actor }),
      h('span', { text: short(e.fromPath) + ' \u2192 ' + short(e.toPath) }),
      h('span', { 'class': 'e', title: e.event, 'data-raw': e.event, text: human(e.event) }),
    ]);
    li.addEventListener('click', function () { choose({ entries: [e] }, li); });
    return li;
  }
  function renderList(entries) {
    var list = document.getElementById('events');
    var key = entries.length + ' ' + (entries.length ? entries[entries.length - 1].at : '');
    if (list.getAttribute('data-key') === key) return;
    list.setAttribute('data-key', key);
    var groups = groupsOf(entries), items = [], i;
    for (i = groups.length - 1; i >= 0 && items.length < MAX_LIST; i--) {
      var made = listItem(groups[i]);
      for (var j = made.length - 1; j >= 0; j--) items.push(made[j]);
    }
    if (i >= 0) items.push(h('li', { 'class': 'more', text: (i + 1) + ' older groups not listed: move the replay slider, or read the bands above' }));
    list.replaceChildren.apply(list, items);
  }
  function choose(group, li) {
    chosen = group;
    Array.prototype.forEach.call(document.querySelectorAll('#events li.chosen'), function (x) { x.classList.remove('chosen'); });
    li.classList.add('chosen');
    var e = group.entries[group.entries.length - 1];
    var body = [];
    if (group.entries.length > 1) body.push(h('h3', { text: group.entries.length + ' entries, ' + span(e.at - group.entries[0].at) + ' (the last one below)' }));
    var payload = {};
    for (var k in e) if (k !== 'context') payload[k] = e[k];
    if (e.kind === 'transition') body.push(h('div', null, [h('b', { text: human(e.event) }), ' ', h('code', { text: e.event })]));
    body.push(h('h3', { text: 'payload' }), h('pre', { 'data-role': 'payload', text: JSON.stringify(payload, null, 2) }));
    var ctx = e.context;
    if (!ctx) { var c = lastOf(model.timeline.filter(function (x) { return x.at <= e.at; }), 'connection'); ctx = c && c.context; }
    body.push(h('h3', { text: 'connection context at ' + clockMs(e.at) }));
    body.push(ctx ? h('pre', { 'data-role': 'context', text: JSON.stringify(ctx, null, 2) }) : h('div', { 'class': 'hint', text: 'not recorded' }));
    var d = document.getElementById('detail');
    d.replaceChildren.apply(d, body);
  }

  // ---- rendering and input ------------------------------------------------------------------------------
  function render() {
    renderQueued = false;
    if (!model) return;
    var entries = timeline(), actors = actorsAt(entries);
    if (!actors.some(function (a) { return a.id === selected; })) selected = 'connection';
    renderHeader(entries, actors);
    renderTree(entries, actors);
    renderGraph(actors.filter(function (a) { return a.id === selected; })[0], entries);
    renderBands(entries, actors);
    renderList(entries);
  }
  function queueRender() { if (!renderQueued) { renderQueued = true; setTimeout(render, 100); } }
  function trim() {
    var tl = model.timeline, newest = tl.length ? tl[tl.length - 1].at : 0, cut = 0;
    while (cut < tl.length && (tl.length - cut > model.timelineSize || newest - tl[cut].at > model.historyWindowMs)) cut++;
    if (cut) tl.splice(0, cut);
  }
  function upsert(t) {
    var found = model.actors.filter(function (a) { return a.id === t.actor; })[0];
    if (found) { if (found.state !== t.to) found.since = t.at; found.state = t.to; found.path = t.toPath; return; }
    model.actors.push({ id: t.actor, machine: t.actor.split(':')[0], state: t.to, path: t.toPath, since: t.at });
  }
  function apply(event, data) {
    if (event === 'hello') {
      model = data; skew = data.now - data.wallNow; snapReceived = Date.now();
      document.title = model.title;
      document.getElementById('title').textContent = model.title;
      if (!replay) renderActions();
      return;
    }
    if (!model) return;
    if (event === 'snapshot') { model.snapshot = data; snapReceived = Date.now(); return; }
    if (event === 'transition') { upsert(data); fresh[data.actor] = { entry: data, at: Date.now() }; }
    model.timeline.push(data);
    trim();
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
  function connect() {
    var live = document.getElementById('live');
    var download = document.getElementById('download');
    download.hidden = false;
    // Fetched with the token in a header (never written into the page), saved from a blob.
    download.addEventListener('click', function () {
      var headers = token ? { Authorization: 'Bearer ' + token } : {};
      download.disabled = true;
      fetch('recording.html', { headers: headers })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.blob(); })
        .then(function (blob) {
          var a = h('a', { href: URL.createObjectURL(blob), download: 'inspector-recording-' + new Date().toISOString().replace(/[:.]/g, '-') + '.html' });
          document.body.appendChild(a); a.click(); a.remove();
          setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
        })
        .catch(function (e) { download.textContent = 'Download failed: ' + e.message; })
        .then(function () { download.disabled = false; });
    });
    var source = new EventSource(token ? 'events?token=' + encodeURIComponent(token) : 'events');
    ['hello', 'transition', 'snapshot', 'action', 'request'].forEach(function (name) {
      source.addEventListener(name, function (e) {
        apply(name, JSON.parse(e.data));
        if (name === 'hello') { live.className = 'on'; live.textContent = 'live'; render(); } else queueRender();
      });
    });
    source.addEventListener('error', function () { live.className = 'off'; live.textContent = 'reconnecting to the inspector'; });
    setInterval(function () { if (model) render(); }, 1000);
  }
  function startReplay() {
    var data = JSON.parse(recording.textContent);
    apply('hello', data.hello);
    data.events.forEach(function (e) { apply(e.event, e.data); });
    var tl = model.timeline;
    var first = tl.length ? tl[0].at : model.now, last = Math.max(model.now, data.end || 0, tl.length ? tl[tl.length - 1].at : 0);
    replayAt = last;
    var live = document.getElementById('live');
    live.className = 'replay'; live.textContent = 'recording, ' + stamp(first) + ' \u2013 ' + stamp(last);
    var bar = document.getElementById('replay-bar'), slider = document.getElementById('replay-at'), label = document.getElementById('replay-label');
    bar.hidden = false;
    slider.min = String(first); slider.max = String(last); slider.value = String(last); slider.step = '1';
    var moved = function () { replayAt = Number(slider.value); label.textContent = clockMs(replayAt); queueRender(); };
    slider.addEventListener('input', moved);
    label.textContent = clockMs(replayAt);
    render();
  }
  document.getElementById('zoom').addEventListener('click', function (e) {
    zoomed = !zoomed; e.target.textContent = zoomed ? 'fit' : '100%'; render();
  });
  if (replay) startReplay(); else connect();
})();
`;

/** The whole script: one function, in three pieces only to keep each file short. */
export const PAGE_SCRIPT = BEFORE + PAGE_DRAW + AFTER;
