/**
 * The benchmark's pure pieces (test/bench): percentiles, the figure set and its JSON keys, the table's
 * verdicts, the SVG timeline, and how the `peers` benchmark reads another library's rejection. The benchmarks themselves run against a real server with `npm run bench`.
 */
import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../bench/benchmarks.js';
import {
  checkFigureKeys,
  completeFigures,
  FIGURE_KEYS,
  type Figures,
  renderTable,
  verdictOf,
} from '../bench/figures.js';
import { describeRejection } from '../bench/peers-protocol.js';
import { percentile, summarize } from '../bench/stats.js';
import { escapeXml, OUTCOME_COLOURS, renderTimeline, STATE_COLOURS } from '../bench/timeline.js';

describe('percentile', () => {
  it('interpolates between the nearest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 100)).toBe(4);
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(oneToTwenty, 95)).toBeCloseTo(19.05, 10);
    expect(percentile([7], 99)).toBe(7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('is undefined for no samples, and refuses a bad p or a non-finite sample', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(() => percentile([1], 101)).toThrow(/`p`.*0 to 100.*101/);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
    expect(() => percentile([1, Number.POSITIVE_INFINITY], 50)).toThrow(/finite/);
  });

  it('summarize gives n, min, p50, p95, p99 and max', () => {
    expect(summarize([10, 20, 30, 40, 50])).toEqual({ n: 5, min: 10, p50: 30, p95: 48, p99: 49.6, max: 50 });
    expect(summarize([]).p50).toBeUndefined();
  });
});

describe('figures', () => {
  it('the JSON has exactly the keys of issues 8, 15 and 17, null where nothing was measured', () => {
    const figures = completeFigures({ detection_ms_p50: 12, throughput_ratio: Number.NaN });
    expect(Object.keys(figures)).toEqual([...FIGURE_KEYS]);
    expect(figures.detection_ms_p50).toBe(12);
    expect(figures.throughput_ratio).toBeNull();
    expect(figures.cycle_listener_growth).toBeNull();
    expect(checkFigureKeys(JSON.parse(JSON.stringify(figures)))).toEqual({ missing: [], extra: [] });
    expect(checkFigureKeys({ detection_ms_p50: 1, surprise: 2 })).toMatchObject({
      missing: expect.arrayContaining(['detection_ms_p95', 'cycle_handle_growth']),
      extra: ['surprise'],
    });
    expect(FIGURE_KEYS).toHaveLength(87);
    // Issue 8's 19, then issue 15's 7 (the outbox), then issue 17's 9, then issue 16's, then issue 17's peers,
    // then issue 17 item 6's, then item 4's real fleet.
    expect(FIGURE_KEYS.indexOf('cycle_listener_growth')).toBe(18);
    expect(FIGURE_KEYS.slice(19, 26)).toEqual([
      'outbox_enqueue_per_s_postgres',
      'outbox_enqueue_per_s_embedded',
      'outbox_dispatch_ms_p95',
      'outbox_drain_per_s',
      'outbox_drain_heap_mb',
      'outbox_crash_lost',
      'outbox_crash_duplicates',
    ]);
    expect(FIGURE_KEYS.slice(35, 41)).toEqual([
      'zombie_worker_detection_ms_p95',
      'rolling_restart_failed_requests',
      'rolling_restart_max_start_ms',
      'partial_outage_detection_ms_p95',
      'probe_cost_rps_per_supervisor',
      'probe_frontend_cpu_us',
    ]);
    // 8 per side, side by side: sdk, nest, us.
    expect(FIGURE_KEYS.slice(41, 49)).toEqual([
      'peer_sdk_starts',
      'peer_sdk_lost',
      'peer_sdk_hung_30s',
      'peer_sdk_rejections',
      'peer_sdk_typed_rejections',
      'peer_sdk_late_rejections',
      'peer_sdk_first_start_ms',
      'peer_sdk_worker_polling_ms',
    ]);
    expect(FIGURE_KEYS.slice(49, 57).every((key) => key.startsWith('peer_nest_'))).toBe(true);
    expect(FIGURE_KEYS.slice(57, 65).every((key) => key.startsWith('peer_us_'))).toBe(true);
    expect(FIGURE_KEYS.slice(65, 75)).toEqual([
      'workers_running_ms_p95',
      'server_dispatch_ms_p95',
      'server_task_scheduled_ms_p95',
      'handover_replacements',
      'handover_lost_tasks',
      'handover_sticky_timeouts',
      'handover_timeouts_at_kill',
      'handover_kept_lost_tasks',
      'handover_kept_sticky_timeouts',
      'recovery_dial_50ms_ms_p95',
    ]);
    expect(FIGURE_KEYS.slice(75)).toEqual([
      'fleet_replicas',
      'fleet_recovery_ms_p95',
      'fleet_attempts_per_100ms_max',
      'fleet_reach_1s_recovery_ms_p95',
      'fleet_reach_1s_attempts_per_100ms_max',
      'fleet_balancer_recovery_ms_p95',
      'fleet_balancer_attempts_per_100ms_max',
      'fleet_spread_recovery_ms_p95',
      'fleet_spread_attempts_per_100ms_max',
      'sim_fleet_spread_connects_per_100ms_max',
      'sim_fleet_spread_recovery_ms_p95',
      'outage_loop_on_cpu_ms_max',
    ]);
    expect(FIGURE_KEYS.slice(26, 35)).toEqual([
      'first_worker_loop_delay_ms_max',
      'first_worker_late_ms_max',
      'replace_worker_loop_delay_ms_max',
      'own_cost_us_p50',
      'sim_fleet_connects_per_100ms_max',
      'sim_fleet_dials_per_100ms_max',
      'sim_fleet_recovery_ms_p95',
      'outage_heap_per_request_kb',
      'outage_loop_delay_ms_max',
    ]);
  });

  it('every figure is measured by exactly one benchmark', () => {
    const measured = BENCHMARKS.flatMap((benchmark) => benchmark.keys);
    expect([...measured].sort()).toEqual([...FIGURE_KEYS].sort());
    expect(new Set(BENCHMARKS.map((b) => b.name)).size).toBe(BENCHMARKS.length);
  });

  it('judges each target, and says which figures were not run', () => {
    const figures: Figures = completeFigures({
      detection_ms_p95: 1_200,
      recovery_ms_p95: 140,
      throughput_ratio: 0.96,
      fail_fast_ms_p50: 0.02,
      outage_requests: 10_000,
      outage_accounted: 9_999,
      cycle_listener_growth: 0,
      detection_ms_p50: 30,
    });
    expect(verdictOf('detection_ms_p95', figures)).toBe('MISSED');
    expect(verdictOf('recovery_ms_p95', figures)).toBe('met');
    expect(verdictOf('throughput_ratio', figures)).toBe('MISSED');
    expect(verdictOf('fail_fast_ms_p50', figures)).toBe('met');
    expect(verdictOf('outage_accounted', figures)).toBe('MISSED');
    expect(verdictOf('outage_accounted', { ...figures, outage_accounted: 10_000 })).toBe('met');
    expect(verdictOf('cycle_listener_growth', figures)).toBe('met');
    expect(verdictOf('detection_ms_p50', figures)).toBe('');
    expect(verdictOf('cycle_heap_growth_mb', figures)).toBe('not run');

    const table = renderTable(figures).split('\n');
    expect(table).toHaveLength(FIGURE_KEYS.length + 2);
    expect(table.find((row) => row.startsWith('| `throughput_ratio` |'))).toMatch(
      /\| 0\.960 \|.*≥ 0\.97 \| MISSED \|/,
    );
    expect(table.find((row) => row.startsWith('| `cycle_heap_growth_mb` |'))).toMatch(/\| – \|.*not run/);
  });
});

describe('peers: how a rejection is read (docs/performance.md: typed = a gRPC status or an SDK error class)', () => {
  class ServiceError extends Error {}
  class WorkflowExecutionAlreadyStartedError extends Error {}

  it('finds a gRPC status on the error or down its cause chain, by name', () => {
    const sdk = new ServiceError('Failed to start Workflow', {
      cause: Object.assign(new Error('x'), { code: 4 }),
    });
    expect(describeRejection(sdk)).toEqual({
      errorClass: 'ServiceError',
      grpcStatus: 'DEADLINE_EXCEEDED',
      typed: true,
      message: 'Failed to start Workflow',
    });
    expect(describeRejection(Object.assign(new Error('y'), { code: 14 })).grpcStatus).toBe('UNAVAILABLE');
  });

  it('counts an SDK error class as typed, and a message-only Error as untyped', () => {
    expect(describeRejection(new WorkflowExecutionAlreadyStartedError('taken')).typed).toBe(true);
    const wrapped = describeRejection(new Error("Failed to start workflow 'x': Failed to start Workflow"));
    expect(wrapped).toMatchObject({ errorClass: 'Error', typed: false });
    expect(wrapped.grpcStatus).toBeUndefined();
    // A code that is not a gRPC status, or not a number, is no status.
    expect(describeRejection(Object.assign(new Error('z'), { code: 99 })).typed).toBe(false);
    expect(describeRejection(Object.assign(new Error('z'), { code: 'ECONNREFUSED' })).typed).toBe(false);
  });

  it('reads anything thrown, bounds the message and stops on a cause cycle', () => {
    expect(describeRejection('boom')).toMatchObject({ errorClass: 'string', typed: false, message: 'boom' });
    expect(describeRejection(null).errorClass).toBe('null');
    expect(describeRejection(new Error('m'.repeat(1_000))).message).toHaveLength(300);
    const cyclic = new Error('loop');
    (cyclic as { cause?: unknown }).cause = cyclic;
    expect(describeRejection(cyclic).typed).toBe(false);
  });
});

/** Whether every tag opened in `xml` is closed in order (self-closing tags aside). */
function balanced(xml: string): boolean {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (!closing) stack.push(name as string);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe('renderTimeline', () => {
  const input = {
    title: 'chaos <run> & "friends"',
    durationMs: 10_000,
    bands: [
      { from: 0, to: 2_000, state: 'connected' },
      { from: 2_000, to: 2_100, state: 'degraded' },
      { from: 2_100, to: 6_000, state: 'backoff' },
      { from: 6_000, to: 10_000, state: 'connected' },
    ],
    requests: [
      { issuedAt: 100, settledAt: 150, outcome: 'started' },
      { issuedAt: 2_500, settledAt: 2_500.02, outcome: 'fail_fast', failFast: true },
      { issuedAt: 3_000, settledAt: 6_000, outcome: 'deadline' },
      { issuedAt: 4_000, settledAt: 6_100, outcome: 'started' },
    ],
    events: [
      { at: 1_990, label: 'SIGKILL' },
      { at: 5_900, label: 'ready <again>' },
    ],
  };

  it('draws a band per state, a line per request and a mark per event, in a well-formed document', () => {
    const svg = renderTimeline(input);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    for (const state of ['connected', 'degraded', 'backoff']) {
      expect(svg).toContain(`fill="${STATE_COLOURS[state]}"><title>${state}:`);
    }
    const requestLines = [...svg.matchAll(/<line [^>]*stroke-width="3"[^>]*><title>/g)];
    expect(requestLines).toHaveLength(input.requests.length);
    expect(svg).toContain(`stroke="${OUTCOME_COLOURS.deadline}"`);
    expect(svg).toContain('stroke-dasharray="2 1"'); // the fail-fast request
    expect(svg).toContain('fail-fast request 2: fail_fast after 0 ms');
    expect(svg).toContain('rejected: deadline');
    expect(svg).toContain('>SIGKILL</text>');
  });

  it('escapes text, and keeps every x inside the plot', () => {
    const svg = renderTimeline({
      ...input,
      requests: [...input.requests, { issuedAt: 9_000, settledAt: 99_000, outcome: 'queue_full' }],
    });
    expect(svg).toContain('chaos &lt;run&gt; &amp; &quot;friends&quot;');
    expect(svg).toContain('ready &lt;again&gt;');
    expect(svg).not.toContain('<again>');
    for (const [, x] of svg.matchAll(/ x[12]?="([\d.-]+)"/g)) {
      expect(Number(x)).toBeGreaterThanOrEqual(0);
      expect(Number(x)).toBeLessThanOrEqual(960);
    }
    expect(escapeXml(`a'b`)).toBe('a&apos;b');
  });

  it('draws an empty run without failing', () => {
    const svg = renderTimeline({ title: 'empty', durationMs: 0, bands: [], requests: [], events: [] });
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('requests (0)');
  });
});
