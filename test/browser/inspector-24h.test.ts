/**
 * The inspector page with a synthetic 24-hour outage: the connection going round `connecting ⇄ backoff`
 * every 5 s for a day (34 560 transitions), the creator waiting, a request rejected every 5 s (17 280), as
 * one recording file opened in headless Chromium. What must hold however long the outage: the page draws
 * it (a day of bands, one collapsed loop with its count, "down since" a day ago), its DOM stays bounded
 * (bands are merged per pixel, the list is collapsed and capped), and it answers input (a click on the loop
 * shows its detail; moving the replay slider to mid-outage redraws). Timings are printed, not asserted.
 * Screenshot: artifacts/inspector-24h.png.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Hello, TimelineEntry } from '../../src/inspector/model.js';
import { renderRecording } from '../../src/inspector/page.js';
import { drawMachines } from '../../src/inspector/server.js';
import type { SupervisorSnapshot } from '../../src/supervisor/types.js';
import { launchChromium, pageProblems } from '../harness/chromium.js';
import { useCleanups } from '../harness/cleanups.js';

const defer = useCleanups();
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const DAY = 24 * 3_600_000;
const STEP = 5_000;
const UNAVAILABLE = {
  kind: 'transient',
  code: 'UNAVAILABLE',
  grpcCode: 14,
  name: 'ChannelFailure',
  message: 'The gRPC channel could not connect to the server (refused, reset or unreachable)',
} as const;

async function outage(end: number): Promise<{ hello: Hello; cycles: number; requests: number }> {
  const start = end - DAY;
  const timeline: TimelineEntry[] = [];
  const context = (attempt: number) => ({
    attempt,
    retryDelayMs: STEP,
    lastFailure: UNAVAILABLE,
    probeFailures: 0,
    probeSuccesses: 0,
    pendingRequests: 3,
    lastProbeLatencyMs: 2,
  });
  const step = (at: number, from: string, to: string, event: string, attempt: number): TimelineEntry => ({
    kind: 'transition',
    actor: 'connection',
    from: from.split('.').at(-1) === 'idle' ? 'connected' : from,
    to,
    fromPath: from,
    toPath: to,
    event,
    at,
    context: context(attempt),
  });
  timeline.push(step(start, 'online.connected.idle', 'backoff', 'CONNECTION_LOST', 0));
  timeline.push({
    kind: 'transition',
    actor: 'creator:orders',
    from: 'ready',
    to: 'waiting',
    fromPath: 'ready',
    toPath: 'waiting',
    event: 'CONNECTION_DOWN',
    at: start,
  });
  let cycles = 0;
  let requests = 0;
  for (let at = start + STEP; at < end; at += STEP) {
    cycles++;
    timeline.push(step(at, 'backoff', 'connecting', 'xstate.after.retryDelay.connection.backoff', cycles));
    timeline.push(step(at + 40, 'connecting', 'backoff', 'xstate.error.actor.connect', cycles));
    timeline.push({
      kind: 'request',
      source: 'creator:orders',
      outcome: 'rejected',
      reason: 'deadline',
      at: at + 100,
    });
    requests++;
  }
  const snapshot: SupervisorSnapshot = {
    state: 'backoff',
    value: 'backoff',
    since: end - 1_000,
    attempt: cycles,
    retryDelayMs: STEP,
    retryAfterMs: 4_000,
    lastFailure: UNAVAILABLE,
    connection: undefined,
    lastProbeLatencyMs: 2,
    probeFailures: 0,
    probeSuccesses: 0,
    pendingRequests: 3,
    children: { 'creator:orders': 'waiting' },
    outboxes: {},
  };
  const hello: Hello = {
    version: 1,
    title: 'synthetic 24-hour outage',
    machines: await drawMachines(),
    actors: [
      { id: 'connection', machine: 'connection', state: 'backoff', path: 'backoff', since: end - 1_000 },
      { id: 'creator:orders', machine: 'creator', state: 'waiting', path: 'waiting', since: start },
    ],
    snapshot,
    timeline,
    timelineSize: 100_000,
    historyWindowMs: DAY + 60_000,
    actions: [],
    now: end,
    wallNow: end,
  };
  return { hello, cycles, requests };
}

describe('inspector page with a 24-hour outage', () => {
  it('draws a day of connecting ⇄ backoff collapsed, with a bounded DOM, and answers input', async () => {
    const end = Date.now();
    const { hello, cycles, requests } = await outage(end);
    await mkdir(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'inspector-24h.html');
    const html = renderRecording(hello, [], end);
    await writeFile(file, html);

    const browser = await launchChromium();
    defer(() => browser.close());
    const page = await browser.context.newPage();
    const problems = pageProblems(page);
    const opened = performance.now();
    await page.goto(pathToFileURL(file).toString());
    await page.waitForSelector('#tree li[data-actor="connection"][data-state="backoff"]');
    const loadMs = Math.round(performance.now() - opened);

    // One loop entry for the whole day, with its count; the requests as one entry too.
    const loop = page.locator('#events li.loop[data-actor="connection"]');
    expect(await loop.count()).toBe(1);
    expect(await loop.getAttribute('data-count')).toBe(String(cycles));
    expect(await loop.textContent()).toMatch(
      /backoff ⇄ connecting ×\d+, 23 h 59 min, last failure UNAVAILABLE/,
    );
    const rejected = page.locator('#events li.request[data-outcome="rejected"]');
    expect(await rejected.getAttribute('data-count')).toBe(String(requests));
    // Down since a day ago, in the header.
    expect(await page.locator('#facts [data-fact="down since"]').textContent()).toMatch(
      /\(23 h 59 min|\(24 h 0 min/,
    );
    // Bounded: bands merged per pixel, marks per 2 px, the list capped.
    const counts = (await page.evaluate(`({
      nodes: document.getElementsByTagName('*').length,
      bands: document.querySelectorAll('#bands g.bands[data-actor="connection"] rect').length,
      marks: document.querySelectorAll('#bands .mark').length,
      items: document.querySelectorAll('#events li').length,
    })`)) as { nodes: number; bands: number; marks: number; items: number };
    expect(counts.bands).toBeLessThan(50);
    expect(counts.marks).toBeLessThan(1_000);
    expect(counts.items).toBeLessThan(20);
    expect(counts.nodes).toBeLessThan(5_000);

    // Input is answered: the loop's detail, then the replay moved to the middle of the outage.
    const clicked = performance.now();
    await loop.click();
    await page.waitForSelector('#detail pre[data-role="context"]');
    const clickMs = Math.round(performance.now() - clicked);
    expect(await page.locator('#detail h3').first().textContent()).toContain(`${cycles * 2} entries`);
    const moved = performance.now();
    await page.evaluate(
      `(() => { const input = document.getElementById('replay-at'); input.value = String(${end - DAY / 2}); input.dispatchEvent(new Event('input')); })()`,
    );
    // (A locator, not waitForFunction: the page's CSP forbids evaluating strings, as it should.)
    await page.locator('#facts [data-fact="down since"]', { hasText: '(12 h' }).waitFor();
    const slideMs = Math.round(performance.now() - moved);
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-24h.png'), fullPage: true });
    expect(problems).toEqual([]);
    console.log(
      `inspector 24-hour outage (ms): ${JSON.stringify({
        entries: hello.timeline.length,
        recordingBytes: html.length,
        loadToDrawnMs: loadMs,
        clickToDetailMs: clickMs,
        sliderToRedrawnMs: slideMs,
        ...counts,
      })}`,
    );
  });
});
