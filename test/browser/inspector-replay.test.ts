/**
 * The inspector's header in a replay: "next retry in" at a position in the recording must be what the live
 * page showed at that moment: in `backoff.waiting`, the backoff's delay counted from its entry; in
 * `backoff.spreading` (the server seen back, `reconnectSpread`), the drawn delay, which the recording tells by
 * when `spreading` ended, not the backoff's delay. A synthetic recording with both, opened in headless
 * Chromium, the slider moved to four positions; the expected figures are worked out here from the recording.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Hello, TimelineEntry } from '../../src/inspector/model.js';
import { renderRecording } from '../../src/inspector/page.js';
import { drawMachines } from '../../src/inspector/server.js';
import type { SupervisorSnapshot } from '../../src/supervisor/types.js';
import { launchChromium, pageProblems } from '../harness/chromium.js';
import { useCleanups } from '../harness/cleanups.js';

const defer = useCleanups();
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));

function recording(t0: number, end: number, machines: Hello['machines']): Hello {
  const step = (
    at: number,
    from: string,
    fromPath: string,
    to: string,
    toPath: string,
    event: string,
    retryDelayMs: number,
  ): TimelineEntry => ({
    kind: 'transition',
    actor: 'connection',
    from,
    to,
    fromPath,
    toPath,
    event,
    at,
    context: {
      attempt: 1,
      retryDelayMs,
      lastFailure: undefined,
      probeFailures: 0,
      probeSuccesses: 0,
      pendingRequests: 0,
      lastProbeLatencyMs: undefined,
    },
  });
  const timeline: TimelineEntry[] = [
    // An outage whose retry was due 4 s after the loss; the server seen back after 1 s, the spread's draw
    // 700 ms.
    step(t0, 'connected', 'online.connected.idle', 'backoff', 'backoff.waiting', 'CONNECTION_LOST', 4_000),
    step(t0 + 1_000, 'backoff', 'backoff.waiting', 'backoff', 'backoff.spreading', 'RETRY_NOW', 4_000),
    step(
      t0 + 1_700,
      'backoff',
      'backoff.spreading',
      'connecting',
      'connecting',
      'xstate.after.spreadDelay',
      4_000,
    ),
    step(
      t0 + 1_750,
      'connecting',
      'connecting',
      'connected',
      'online.connected.idle',
      'xstate.done.actor.connect',
      4_000,
    ),
    // A second one, due after 2 s, spreading from 1 s on when the recording ends.
    step(
      t0 + 5_000,
      'connected',
      'online.connected.idle',
      'backoff',
      'backoff.waiting',
      'CONNECTION_LOST',
      2_000,
    ),
    step(t0 + 6_000, 'backoff', 'backoff.waiting', 'backoff', 'backoff.spreading', 'RETRY_NOW', 2_000),
  ];
  const snapshot: SupervisorSnapshot = {
    state: 'backoff',
    value: { backoff: 'spreading' },
    since: t0 + 5_000,
    attempt: 1,
    retryDelayMs: 2_000,
    retryAfterMs: 300,
    lastFailure: undefined,
    connection: undefined,
    lastProbeLatencyMs: undefined,
    probeFailures: 0,
    probeSuccesses: 0,
    pendingRequests: 0,
    children: {},
    outboxes: {},
  };
  return {
    version: 1,
    title: 'synthetic outages with reconnectSpread',
    machines,
    actors: [
      {
        id: 'connection',
        machine: 'connection',
        state: 'backoff',
        path: 'backoff.spreading',
        since: t0 + 5_000,
      },
    ],
    snapshot,
    timeline,
    timelineSize: 1_000,
    historyWindowMs: 3_600_000,
    actions: [],
    now: end,
    wallNow: end,
  };
}

/** Moves the replay slider to `at` and waits for the header drawn there ("down since … (`down`)"). */
async function replayAt(page: Page, at: number, down: string): Promise<string | null> {
  await page.evaluate(
    `(() => { const input = document.getElementById('replay-at'); input.value = String(${at}); input.dispatchEvent(new Event('input')); })()`,
  );
  await page.locator('#facts [data-fact="down since"]', { hasText: `(${down})` }).waitFor();
  const retry = page.locator('#facts [data-fact="next retry in"] b');
  return (await retry.count()) === 0 ? null : retry.textContent();
}

describe('inspector replay: the header at a moment of the recording', () => {
  it('counts "next retry in" down to the backoff delay, and to the spread once spreading', async () => {
    const end = Date.now();
    const t0 = end - 10_000;
    const hello = recording(t0, end, await drawMachines());
    await mkdir(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'inspector-replay-spread.html');
    await writeFile(file, renderRecording(hello, [], end));

    const browser = await launchChromium();
    defer(() => browser.close());
    const page = await browser.context.newPage();
    const problems = pageProblems(page);
    await page.goto(pathToFileURL(file).toString());
    await page.waitForSelector('#tree li[data-actor="connection"][data-state="backoff"]');

    // Waiting, 500 ms into the first outage: its retry was due at t0 + 4 s.
    expect(await replayAt(page, t0 + 500, '500 ms')).toBe('3.5 s');
    // Spreading, 200 ms after the server was seen back: the draw ended at t0 + 1.7 s (the backoff's own
    // delay, t0 + 4 s, no longer applies).
    expect(await replayAt(page, t0 + 1_200, '1.2 s')).toBe('500 ms');
    // The second outage, waiting: due at t0 + 5 s + 2 s.
    expect(await replayAt(page, t0 + 5_500, '500 ms')).toBe('1.5 s');
    // Spreading when the recording ends: when the draw ends is not in it, so no countdown is made up.
    expect(await replayAt(page, t0 + 6_500, '1.5 s')).toBeNull();
    expect(problems).toEqual([]);
  });
});
