/** The inspector page's stylesheet (inline in the page, allowed by its hash in the CSP). */
export const PAGE_STYLE = String.raw`
:root { --bg:#f6f7f9; --fg:#1d2433; --muted:#667085; --line:#d0d5dd; --box:#fff; --active:#e8f1ff;
  --current:#1f6feb; --taken:#b54708; --bad:#b42318; --good:#067647; --warn:#b54708; --idle:#98a2b3; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; padding:8px 16px; background:#101828; color:#fff; }
header h1 { font-size:15px; margin:0 8px 0 0; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; background:#344054; color:#fff; font-weight:600; font-size:12px; }
.badge.connected, .badge.running, .badge.ready { background:var(--good); }
.badge.degraded, .badge.backoff, .badge.connecting, .badge.restarting, .badge.waiting, .badge.refreshing,
.badge.starting, .badge.idle { background:var(--warn); }
.badge.givenUp, .badge.down { background:var(--bad); }
#facts { display:flex; flex-wrap:wrap; gap:12px; color:#d0d5dd; }
#facts b { color:#fff; font-weight:600; }
#facts .down b { color:#fda29b; }
#live { margin-left:auto; font-size:12px; }
#live.on::before { content:"\25CF  "; color:#32d583; }
#live.off::before { content:"\25CF  "; color:#f04438; }
#live.replay::before { content:"\25B6  "; color:#fdb022; }
#download { font:inherit; font-size:12px; padding:2px 10px; border:1px solid #475467; border-radius:6px; background:#1d2939; color:#fff; cursor:pointer; }
#actions { display:flex; gap:8px; flex-wrap:wrap; padding:6px 16px; border-bottom:1px solid var(--line); background:#fff; align-items:center; }
#actions:empty { display:none; }
#actions button { font:inherit; padding:3px 12px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
#actions button:disabled { opacity:.5; cursor:progress; }
#action-result { color:var(--muted); }
#replay-bar { display:flex; gap:8px; align-items:center; padding:6px 16px; background:#fffaeb; border-bottom:1px solid var(--line); }
#replay-bar[hidden] { display:none; }
#replay-bar input { flex:1; }
main { display:grid; grid-template-columns: 300px minmax(0, 1fr); gap:12px; padding:12px 16px; }
.panel { background:var(--box); border:1px solid var(--line); border-radius:8px; padding:8px 10px; }
.panel > h2 { font-size:13px; margin:0 0 6px; display:flex; gap:8px; align-items:center; }
.panel > h2 code { font-weight:400; color:var(--muted); }
#tree ul { list-style:none; margin:0; padding:0 0 0 14px; border-left:1px dashed var(--line); }
#tree > ul { padding:0; border:0; }
#tree li > .row { padding:4px 6px; border-radius:6px; cursor:pointer; margin:2px 0; }
#tree li > .row:hover { background:#f2f4f7; }
#tree li.selected > .row { background:var(--active); outline:1px solid var(--current); }
#tree .row .id { font-weight:600; margin-left:6px; }
#tree .row .meta { display:block; color:var(--muted); font-size:11px; margin-top:1px; }
#tree .row .meta .bad { color:var(--bad); }
#graph-box { overflow:auto; max-height:640px; }
#zoom { margin-left:auto; font:inherit; font-size:11px; padding:1px 8px; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; }
svg.chart { display:block; font:11px system-ui, -apple-system, "Segoe UI", sans-serif; }
svg .state rect.box { fill:#fff; stroke:#98a2b3; stroke-width:1; }
svg .state.compound > rect.box { fill:#fcfcfd; }
svg .state.active > rect.box { fill:var(--active); stroke:var(--current); }
svg .state.current > rect.box { stroke:var(--current); stroke-width:2.5; }
svg .state.current.fresh > rect.box { animation: pulse 1.2s ease-out 1; }
svg .state text.key { font-weight:600; fill:var(--fg); }
svg .state.current text.key { fill:var(--current); }
svg .state text.sub { fill:var(--muted); font-size:10px; }
svg .state.initial circle { fill:#344054; }
svg .state.any rect.box { fill:#f2f4f7; stroke-dasharray:3 2; }
svg .edge path { fill:none; stroke:#98a2b3; stroke-width:1.2; }
svg .edge.initial-edge path { stroke:#344054; }
svg .edge.any-edge path { stroke-dasharray:4 3; }
svg .edge text { fill:#475467; font-size:10.5px; }
svg .edge rect.label-bg { fill:rgba(255,255,255,.85); }
svg .edge.guarded text { font-style:italic; }
svg .edge.taken path { stroke:var(--taken); stroke-width:2.5; }
svg .edge.taken text { fill:var(--taken); font-weight:700; }
svg .edge.taken.fresh path { stroke-dasharray:8 5; animation: flow .6s linear 3; }
svg .edge:hover path { stroke:var(--current); stroke-width:2; }
svg marker path { fill:#98a2b3; }
svg marker.taken path { fill:var(--taken); }
@keyframes flow { from { stroke-dashoffset: 26; } to { stroke-dashoffset: 0; } }
@keyframes pulse { 0% { stroke-width:7; stroke:#84adff; } 100% { stroke-width:2.5; } }
#timeline-panel { grid-column: 1 / -1; }
#bands { width:100%; display:block; font:11px system-ui, sans-serif; }
#bands .row-label { fill:var(--fg); font-weight:600; }
#bands .axis text { fill:var(--muted); font-size:10px; }
#bands .axis line { stroke:#eaecf0; }
#bands rect.band { stroke:none; }
#bands .s-connected, #bands .s-running, #bands .s-ready { fill:#47cd89; }
#bands .s-degraded, #bands .s-refreshing, #bands .s-starting { fill:#fdb022; }
#bands .s-connecting, #bands .s-backoff, #bands .s-restarting, #bands .s-waiting, #bands .s-idle { fill:#f97066; }
#bands .s-givenUp { fill:#912018; }
#bands .s-disconnected, #bands .s-stopping, #bands .s-stopped, #bands .s-draining { fill:#d0d5dd; }
#bands rect.flap { fill:url(#flap); }
#bands .mark { stroke-width:1.5; }
#bands .mark.started { stroke:var(--good); }
#bands .mark.late { stroke:#f79009; }
#bands .mark.rejected { stroke:var(--bad); }
#bands .mark.action { stroke:#6938ef; }
#bands .cursor { stroke:#101828; stroke-width:1; stroke-dasharray:2 2; }
.legend { display:flex; gap:12px; flex-wrap:wrap; color:var(--muted); font-size:11px; margin:4px 0; }
.legend .l-up { background:#47cd89; } .legend .l-warn { background:#fdb022; } .legend .l-down { background:#f97066; }
.legend .l-flap { background:repeating-linear-gradient(45deg,#f97066 0 3px,#fdb022 3px 6px); }
.legend .m-started { color:var(--good); } .legend .m-late { color:#f79009; } .legend .m-rejected { color:var(--bad); } .legend .m-action { color:#6938ef; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
#below { display:grid; grid-template-columns: minmax(0, 1fr) minmax(280px, 40%); gap:12px; margin-top:8px; }
#events { list-style:none; margin:0; padding:0; font-size:12px; max-height:44vh; overflow:auto; border:1px solid var(--line); border-radius:6px; }
#events li { padding:3px 6px; border-bottom:1px solid #eaecf0; background:#fff; cursor:pointer; display:flex; gap:6px; align-items:baseline; }
#events li:hover { background:#f9fafb; }
#events li.chosen { background:var(--active); }
#events li .t { color:var(--muted); font-variant-numeric:tabular-nums; white-space:nowrap; }
#events li .a { font-weight:600; white-space:nowrap; }
#events li .e { color:var(--muted); overflow-wrap:anywhere; }
#events li.loop { background:#fef6ee; }
#events li.action { background:#f4f3ff; }
#events li.action.failed, #events li.request.rejected { background:#fef3f2; }
#events li.more { color:var(--muted); cursor:default; }
#detail { font-size:12px; max-height:44vh; overflow:auto; }
#detail pre { background:#f9fafb; border:1px solid #eaecf0; border-radius:6px; padding:6px; margin:4px 0; white-space:pre-wrap; overflow-wrap:anywhere; font-size:11px; }
#detail h3 { font-size:12px; margin:6px 0 2px; }
.hint { color:var(--muted); }
`;
