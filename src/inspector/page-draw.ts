/**
 * The drawing part of the inspector page's script (see page-script.ts, which it is spliced into): the
 * selected actor's statechart from the server's ELK layout, and the state bands per actor with request marks.
 */
export const PAGE_DRAW = String.raw`
  // ---- statechart ----------------------------------------------------------------------------------------
  function takenEdge(drawn, last) {
    if (!last) return -1;
    var best = -1, depth = -1, g = drawn.graph;
    g.transitions.forEach(function (t, i) {
      if (t.event !== last.event) return;
      var src = t.source === g.id ? '' : t.source.slice(g.id.length + 1);
      if (!within(src, last.fromPath)) return;
      var hits = t.targets.length === 0 ? last.fromPath === last.toPath : t.targets.some(function (id) {
        return within(id.slice(g.id.length + 1), last.toPath);
      });
      if (!hits) return;
      var d = src === '' ? 0 : src.split('.').length;
      if (d > depth) { depth = d; best = i; }
    });
    return best;
  }
  function renderGraph(actor, entries) {
    var drawn = model.machines[actor.machine];
    var box = document.getElementById('graph-box');
    document.getElementById('graph-title').textContent = actor.id;
    document.getElementById('graph-path').textContent = actor.path;
    var panel = document.getElementById('graph-panel');
    panel.setAttribute('data-actor', actor.id); panel.setAttribute('data-path', actor.path); panel.setAttribute('data-state', actor.state);
    if (!drawn || drawn.layout.error) {
      box.removeAttribute('data-key');
      box.replaceChildren(h('div', { 'class': 'hint', text: drawn ? 'chart not drawn: ' + drawn.layout.error : 'no chart for this actor' }));
      return;
    }
    var L = drawn.layout, last = lastOf(entries, actor.id), taken = takenEdge(drawn, last);
    // Animated while it is news (2 s); the chart is rebuilt only when what it shows changes.
    var news = fresh[actor.id];
    var isFresh = !replay && !!last && !!news && news.entry === last && Date.now() - news.at < 2000;
    var key = [actor.id, actor.path, last ? last.at + last.event : '', isFresh, zoomed].join(' ');
    if (box.getAttribute('data-key') === key) return;
    box.setAttribute('data-key', key);
    var mid = 'arrow-' + actor.machine, tid = 'arrow-taken-' + actor.machine;
    var svg = s('svg', { 'class': 'chart', width: L.width, height: L.height, viewBox: '0 0 ' + L.width + ' ' + L.height, 'data-machine': actor.machine }, [
      s('defs', null, [
        s('marker', { id: mid, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, [s('path', { d: 'M0,0 L10,5 L0,10 z' })]),
        s('marker', { id: tid, 'class': 'taken', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, [s('path', { d: 'M0,0 L10,5 L0,10 z' })]),
      ]),
    ]);
    var states = s('g', { 'class': 'states' }), edges = s('g', { 'class': 'edges' });
    L.states.forEach(function (st) {
      var cls = ['state', st.kind];
      if (st.kind !== 'initial' && st.kind !== 'any' && within(st.path, actor.path)) cls.push('active');
      if (st.path === actor.path && st.kind !== 'initial' && st.kind !== 'any') { cls.push('current'); if (isFresh) cls.push('fresh'); }
      var g = s('g', { 'class': cls.join(' '), 'data-path': st.kind === 'initial' || st.kind === 'any' ? null : st.path, 'data-kind': st.kind });
      if (st.kind === 'initial') {
        g.appendChild(s('circle', { cx: st.x + st.width / 2, cy: st.y + st.height / 2, r: st.width / 2 }));
      } else {
        g.appendChild(s('rect', { 'class': 'box', x: st.x, y: st.y, width: st.width, height: st.height, rx: st.kind === 'compound' ? 10 : 8 }));
        if (st.kind === 'final') g.appendChild(s('rect', { 'class': 'box', x: st.x + 3, y: st.y + 3, width: st.width - 6, height: st.height - 6, rx: 6 }));
        var compound = st.kind === 'compound';
        g.appendChild(s('text', { 'class': 'key', x: compound ? st.x + 10 : st.x + st.width / 2, y: st.y + (compound ? 18 : 17), 'text-anchor': compound ? 'start' : 'middle', text: st.key }));
        var subs = [];
        if (st.tags.length && !compound) subs.push(st.tags.join(' '));
        if (st.invokes.length) subs.push('runs ' + st.invokes.join(', '));
        subs.forEach(function (line, i) {
          g.appendChild(s('text', { 'class': 'sub', x: compound ? st.x + 10 + st.key.length * 7.5 + 10 + i * 140 : st.x + st.width / 2, y: compound ? st.y + 18 : st.y + 31 + i * 13, 'text-anchor': compound ? 'start' : 'middle', text: line }));
        });
      }
      states.appendChild(g);
    });
    L.edges.forEach(function (e) {
      if (!e.points.length) return;
      var t = e.transition >= 0 ? drawn.graph.transitions[e.transition] : null;
      var cls = ['edge'];
      if (!t) cls.push('initial-edge');
      else if (t.source === drawn.graph.id) cls.push('any-edge');
      if (t && t.guard) cls.push('guarded');
      var isTaken = t && e.transition === taken;
      if (isTaken) { cls.push('taken'); if (isFresh) cls.push('fresh'); }
      var d = 'M' + e.points.map(function (p) { return p[0] + ',' + p[1]; }).join(' L');
      var g = s('g', { 'class': cls.join(' '), 'data-transition': e.transition, 'data-event': e.event || null }, [
        s('path', { d: d, 'marker-end': 'url(#' + (isTaken ? tid : mid) + ')' }),
      ]);
      if (t) {
        g.appendChild(s('title', { text: e.label + (t.delay ? ' (delay ' + t.delay + ')' : '') + ' \u2014 ' + e.event }));
        if (e.label && e.labelBox.width) {
          g.appendChild(s('rect', { 'class': 'label-bg', x: e.labelBox.x, y: e.labelBox.y, width: e.labelBox.width, height: e.labelBox.height, rx: 3 }));
          g.appendChild(s('text', { x: e.labelBox.x + 4, y: e.labelBox.y + 10.5, text: e.label }));
        }
      }
      edges.appendChild(g);
    });
    svg.appendChild(states); svg.appendChild(edges);
    if (!zoomed) { svg.setAttribute('width', '100%'); svg.removeAttribute('height'); svg.style.maxWidth = L.width + 'px'; }
    box.replaceChildren(svg);
    // Keep the current state in view when it changes (and leave the user's scrolling alone otherwise).
    var where = actor.id + ' ' + actor.path + ' ' + zoomed;
    var cur = svg.querySelector('.state.current');
    if (cur && box.getAttribute('data-shown') !== where) {
      box.setAttribute('data-shown', where);
      var r = cur.getBoundingClientRect(), b = box.getBoundingClientRect();
      box.scrollTop += r.top - b.top - b.height / 3;
      box.scrollLeft += r.left - b.left - b.width / 3;
    }
  }

  // ---- state bands and request marks ----------------------------------------------------------------
  var BAND_ROW = 20, LABEL_W = 130, BAND_H = 14;
  function renderBands(entries, actors) {
    var svg = document.getElementById('bands');
    var width = Math.max(600, svg.clientWidth || 1200);
    var end = now(), start = end - 60000;
    if (entries.length) start = Math.min(start, entries[0].at);
    var x = function (t) { return LABEL_W + (t - start) / (end - start) * (width - LABEL_W - 8); };
    var rows = actors.concat([{ id: 'requests', requests: true }]);
    var height = rows.length * BAND_ROW + 22;
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('height', height);
    var out = [s('defs', null, [s('pattern', { id: 'flap', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, [
      s('rect', { width: 3, height: 6, fill: '#f97066' }), s('rect', { x: 3, width: 3, height: 6, fill: '#fdb022' }),
    ])])];
    var axis = s('g', { 'class': 'axis' });
    for (var k = 0; k <= 6; k++) {
      var tt = start + (end - start) * k / 6, xx = x(tt);
      axis.appendChild(s('line', { x1: xx, x2: xx, y1: 0, y2: height - 16 }));
      axis.appendChild(s('text', { x: xx, y: height - 4, 'text-anchor': k === 0 ? 'start' : k === 6 ? 'end' : 'middle', text: clock(tt) }));
    }
    out.push(axis);
    rows.forEach(function (row, r) {
      var y = r * BAND_ROW + 3;
      out.push(s('text', { 'class': 'row-label', x: 0, y: y + 11, text: row.id }));
      if (row.requests) return out.push(marks(entries, x, y));
      var g = s('g', { 'class': 'bands', 'data-actor': row.id });
      var steps = entries.filter(function (e) { return e.kind === 'transition' && e.actor === row.id; });
      var state = steps.length ? steps[0].from : row.state, from = start, flap = null;
      var emit = function (a, b, st) {
        var x0 = x(a), x1 = x(b);
        if (x1 - x0 < 2) {
          if (!flap) flap = { x0: x0, states: {}, n: 0 };
          flap.x1 = x1; flap.states[st] = 1; flap.n++;
          return;
        }
        flush();
        g.appendChild(s('rect', { 'class': 'band s-' + st, 'data-state': st, x: x0, y: y, width: x1 - x0, height: BAND_H }, [
          s('title', { text: row.id + ': ' + st + ' ' + clock(a) + '\u2013' + clock(b) + ' (' + span(b - a) + ')' }),
        ]));
      };
      var flush = function () {
        if (!flap) return;
        var names = Object.keys(flap.states);
        g.appendChild(s('rect', { 'class': 'band flap', 'data-state': names.join(' '), x: flap.x0, y: y, width: Math.max(1, flap.x1 - flap.x0), height: BAND_H }, [
          s('title', { text: row.id + ': ' + names.join(' \u21c4 ') + ' \u00d7' + flap.n }),
        ]));
        flap = null;
      };
      steps.forEach(function (t) { if (t.to === state) return; emit(from, t.at, state); from = t.at; state = t.to; });
      emit(from, end, state);
      flush();
      out.push(g);
    });
    if (replay) out.push(s('line', { 'class': 'cursor', x1: x(end), x2: x(end), y1: 0, y2: height - 16 }));
    svg.replaceChildren.apply(svg, out);
  }
  function marks(entries, x, y) {
    var g = s('g', { 'class': 'marks' }), seen = {};
    entries.forEach(function (e) {
      if (e.kind !== 'request' && e.kind !== 'action') return;
      var kind = e.kind === 'action' ? 'action' : e.outcome;
      var px = Math.round(x(e.at));
      var key = kind + (e.reason || '') + ':' + (px >> 1);
      if (seen[key]) { seen[key].n++; seen[key].title.textContent = seen[key].text + ' \u00d7' + seen[key].n; return; }
      var top = kind === 'rejected' ? y + 7 : kind === 'action' ? y - 1 : y;
      var text = e.kind === 'action' ? 'action ' + e.label + (e.ok ? '' : ' (failed)') : e.source + ': ' + e.outcome + (e.reason ? ' (' + e.reason + ')' : '');
      var title = s('title', { text: text + ' at ' + clock(e.at) });
      g.appendChild(s('line', { 'class': 'mark ' + kind, 'data-outcome': kind, 'data-reason': e.reason || null, x1: px, x2: px, y1: top, y2: top + 8 }, [title]));
      seen[key] = { n: 1, title: title, text: text };
    });
    return g;
  }

`;
