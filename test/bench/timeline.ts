/**
 * An SVG timeline of one chaos run: the supervisor's connection state as coloured bands over time, the
 * faults injected as marked instants, and one line per request from when it was issued to when it settled,
 * coloured by its outcome. Hand-written SVG, no dependency. Pure: covered by test/unit/bench.test.ts.
 */

export interface TimelineBand {
  /** ms since the run's start */
  readonly from: number;
  readonly to: number;
  /** A connection state: connected, degraded, backoff, connecting, … */
  readonly state: string;
}

export interface TimelineRequest {
  readonly issuedAt: number;
  readonly settledAt: number;
  /** `started`, or the rejection reason (`deadline`, `fail_fast`, `connection_lost`, …). */
  readonly outcome: string;
  /** Whether it was a fail-fast request (drawn dashed). */
  readonly failFast?: boolean;
}

export interface TimelineEvent {
  readonly at: number;
  readonly label: string;
}

export interface TimelineInput {
  readonly title: string;
  /** Length of the run in ms (the x axis goes from 0 to it). */
  readonly durationMs: number;
  readonly bands: readonly TimelineBand[];
  readonly requests: readonly TimelineRequest[];
  readonly events: readonly TimelineEvent[];
}

export const STATE_COLOURS: Readonly<Record<string, string>> = {
  connected: '#2e7d32',
  degraded: '#f9a825',
  backoff: '#c62828',
  connecting: '#1565c0',
  disconnected: '#9e9e9e',
  stopping: '#616161',
};

export const OUTCOME_COLOURS: Readonly<Record<string, string>> = {
  started: '#2e7d32',
  deadline: '#c62828',
  fail_fast: '#ef6c00',
  connection_lost: '#6d4c41',
  queue_full: '#6a1b9a',
  stopped: '#616161',
};

const OTHER = '#9e9e9e';
const WIDTH = 960;
const LEFT = 110;
const RIGHT = 20;
const BAND_HEIGHT = 26;
const ROW = 5;

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function tickStep(durationMs: number): number {
  for (const step of [100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000]) {
    if (durationMs / step <= 12) return step;
  }
  return 120_000;
}

const fixed = (value: number) => String(Math.round(value * 10) / 10);

/** Renders the timeline as a standalone SVG document. */
export function renderTimeline(input: TimelineInput): string {
  const duration = Math.max(1, input.durationMs);
  const plot = WIDTH - LEFT - RIGHT;
  const x = (ms: number) => LEFT + (Math.min(Math.max(ms, 0), duration) / duration) * plot;
  const bandTop = 40;
  const requestsTop = bandTop + BAND_HEIGHT + 34;
  const requestsHeight = Math.max(ROW, input.requests.length * ROW);
  const axisY = requestsTop + requestsHeight + 8;
  const outcomes = [...new Set(input.requests.map((r) => r.outcome))].sort();
  const states = [...new Set(input.bands.map((b) => b.state))];
  const legendY = axisY + 36;
  const height = legendY + 44;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(input.title)}</title>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="${LEFT}" y="22" font-size="14" font-weight="bold">${escapeXml(input.title)}</text>`,
    `<text x="8" y="${bandTop + 17}">connection</text>`,
    `<text x="8" y="${requestsTop + 9}">requests (${input.requests.length})</text>`,
  );
  for (const band of input.bands) {
    const colour = STATE_COLOURS[band.state] ?? OTHER;
    const width = Math.max(0.5, x(band.to) - x(band.from));
    out.push(
      `<rect x="${fixed(x(band.from))}" y="${bandTop}" width="${fixed(width)}" height="${BAND_HEIGHT}" fill="${colour}"><title>${escapeXml(`${band.state}: ${Math.round(band.from)}–${Math.round(band.to)} ms`)}</title></rect>`,
    );
  }
  input.requests.forEach((request, i) => {
    const colour = OUTCOME_COLOURS[request.outcome] ?? OTHER;
    const y = requestsTop + i * ROW + ROW / 2;
    const x1 = x(request.issuedAt);
    const x2 = Math.max(x1 + 1.5, x(request.settledAt));
    const dash = request.failFast ? ' stroke-dasharray="2 1"' : '';
    out.push(
      `<line x1="${fixed(x1)}" y1="${fixed(y)}" x2="${fixed(x2)}" y2="${fixed(y)}" stroke="${colour}" stroke-width="3"${dash}><title>${escapeXml(`${request.failFast ? 'fail-fast ' : ''}request ${i + 1}: ${request.outcome} after ${Math.round(request.settledAt - request.issuedAt)} ms`)}</title></line>`,
    );
  });
  for (const event of input.events) {
    const ex = fixed(x(event.at));
    out.push(
      `<line x1="${ex}" y1="${bandTop - 4}" x2="${ex}" y2="${axisY}" stroke="#212121" stroke-width="1" stroke-dasharray="4 3"/>`,
      `<text x="${ex}" y="${bandTop + BAND_HEIGHT + 14}" text-anchor="middle" font-size="10">${escapeXml(event.label)}</text>`,
    );
  }
  out.push(
    `<line x1="${LEFT}" y1="${axisY}" x2="${WIDTH - RIGHT}" y2="${axisY}" stroke="#212121" stroke-width="1"/>`,
  );
  const step = tickStep(duration);
  for (let t = 0; t <= duration; t += step) {
    const tx = fixed(x(t));
    out.push(
      `<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 4}" stroke="#212121"/>`,
      `<text x="${tx}" y="${axisY + 16}" text-anchor="middle">${step >= 1_000 ? `${t / 1_000} s` : `${t} ms`}</text>`,
    );
  }
  let lx = LEFT;
  for (const state of states) {
    out.push(
      `<rect x="${lx}" y="${legendY}" width="12" height="12" fill="${STATE_COLOURS[state] ?? OTHER}"/>`,
      `<text x="${lx + 16}" y="${legendY + 10}">${escapeXml(state)}</text>`,
    );
    lx += 24 + state.length * 7;
  }
  lx = LEFT;
  for (const outcome of outcomes) {
    out.push(
      `<line x1="${lx}" y1="${legendY + 26}" x2="${lx + 14}" y2="${legendY + 26}" stroke="${OUTCOME_COLOURS[outcome] ?? OTHER}" stroke-width="3"/>`,
      `<text x="${lx + 18}" y="${legendY + 30}">${escapeXml(outcome === 'started' ? 'started' : `rejected: ${outcome}`)}</text>`,
    );
    lx += 34 + (outcome.length + (outcome === 'started' ? 0 : 10)) * 7;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
