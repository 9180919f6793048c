/**
 * The inspector's page: one self-contained HTML document (its style and script inline, nothing fetched from
 * elsewhere), kept as TypeScript string constants so that `tsc` ships it in `dist` with the rest. The same
 * document, with the recorded stream embedded as a JSON data block, is the offline recording.
 */
import { createHash } from 'node:crypto';
import type { Hello } from './model.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

export { PAGE_SCRIPT, PAGE_STYLE };

/** A CSP source expression allowing exactly this inline text. */
function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function policy(connect: string): string {
  return [
    "default-src 'none'",
    `script-src ${cspHash(PAGE_SCRIPT)}`,
    `style-src ${cspHash(PAGE_STYLE)}`,
    `connect-src ${connect}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The Content-Security-Policy of the page: only its own inline style and script, and requests to itself. */
export const PAGE_CSP = policy("'self'");

/** The recording's policy (in a meta tag, since a file has no headers): it requests nothing at all. */
export const RECORDING_CSP = policy("'none'").replace("; frame-ancestors 'none'", '');

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function document(title: string, head: string, tail: string): string {
  const safe = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${head}<link rel="icon" href="data:,">
<title>${safe}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1 id="title">${safe}</h1><span id="state" class="badge">…</span><div id="facts"></div><span id="live" class="off">connecting to the inspector</span><button type="button" id="download" hidden>Download recording</button></header>
<div id="actions"></div>
<div id="replay-bar" hidden><span>Replay at</span><input id="replay-at" type="range"><b id="replay-label"></b></div>
<main>
<section class="panel" id="tree-panel"><h2>Supervision tree</h2><div id="tree"></div></section>
<section class="panel" id="graph-panel"><h2><span id="graph-title"></span><code id="graph-path"></code><button type="button" id="zoom">100%</button></h2><div id="graph-box"></div></section>
<section class="panel" id="timeline-panel"><h2>Timeline</h2>
<div class="legend"><span><i class="l-up"></i>serving / running / ready</span><span><i class="l-warn"></i>degraded, starting</span><span><i class="l-down"></i>down: connecting, backoff, restarting, waiting</span><span><i class="l-flap"></i>too fast to draw: a loop</span><span>marks: <b class="m-started">started</b> <b class="m-late">late</b> <b class="m-rejected">rejected</b> <b class="m-action">action</b></span></div>
<svg id="bands" xmlns="http://www.w3.org/2000/svg"></svg>
<div id="below"><ol id="events"></ol><div id="detail" class="panel"><span class="hint">Click an entry to see its payload and the connection's context at that moment.</span></div></div>
</section>
</main>
${tail}<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** The live page; `title` is escaped. */
export function renderPage(title: string): string {
  return document(title, '', '');
}

/** One recorded Server-Sent Event after the `hello`. */
export interface RecordedEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * The recording: the page, with `hello` and the events after it embedded as JSON (`<` escaped, so no text
 * in it can close the block), replayed by the same script with nothing loaded from anywhere.
 */
export function renderRecording(hello: Hello, events: readonly RecordedEvent[], end?: number): string {
  const data = JSON.stringify({ hello, events, end }).replace(/</g, '\\u003c');
  return document(
    `${hello.title} (recording)`,
    `<meta http-equiv="Content-Security-Policy" content="${RECORDING_CSP}">\n`,
    `<script type="application/json" id="recording">${data}</script>\n`,
  );
}
