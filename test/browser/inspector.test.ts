/**
 * The inspector page in a real headless Chromium, against a real Temporal dev server behind a fault proxy.
 * From the page's own buttons: SIGKILL the server, restart it, black-hole it (the proxy swallows every
 * byte) and heal it; after each, what the page draws is checked against expectations taken from the machine
 * definitions (not from the page): the current state's node, one arrow per transition of each machine, the
 * state bands of every actor, request marks, the header's "down since" and "next retry in", an entry's
 * payload. Then the session's recording is downloaded and opened offline as a file.
 * Screenshots in artifacts/: inspector-connected.png, inspector-outage.png, inspector-blackhole.png,
 * inspector-worker.png, inspector-recovered.png, inspector-recording.png.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { run } from '../../src/cli/run.js';
import { createSupervisor, machineGraph, startInspector, TemporalUnavailableError } from '../../src/index.js';
import type { RequestEvent } from '../../src/inspector/model.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { launchChromium, pageProblems } from '../harness/chromium.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { waitUntil } from '../harness/wait.js';
import { RequestEvents } from '../support/request-events.js';

const defer = useCleanups();
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const API_KEY = `test-api-key-${randomBytes(12).toString('hex')}`;

/** Arrows a machine must have on the page: one per target of each transition, one per targetless one. */
function arrowsOf(machine: Parameters<typeof machineGraph>[0]): number {
  return machineGraph(machine).transitions.reduce((n, t) => n + Math.max(1, t.targets.length), 0);
}

const tree = (id: string) => `#tree li[data-actor="${id}"]`;

/** Waits until the supervision tree shows `id` in `state` (set from the live stream). */
async function untilShown(page: Page, id: string, state: string, timeout = 60_000): Promise<number> {
  const started = performance.now();
  await page.waitForSelector(`${tree(id)}[data-state="${state}"]`, { timeout });
  return Math.round(performance.now() - started);
}

/** Selects an actor in the tree and waits for its chart. */
async function select(page: Page, id: string, machine: string): Promise<void> {
  await page.click(`${tree(id)} > .row`);
  await page.waitForSelector(`#graph-panel[data-actor="${id}"] svg.chart[data-machine="${machine}"]`);
}

/** Waits for an element to exist (an SVG mark has no area, so it is never "visible"). */
function present(page: Page, selector: string, timeout = 60_000) {
  return page.waitForSelector(selector, { state: 'attached', timeout });
}

async function arrowsDrawn(page: Page): Promise<number> {
  return page.locator('#graph-box g.edge:not(.initial-edge)').count();
}

describe('inspector page in headless Chromium', () => {
  it('draws the statecharts, tree and timeline, live through a SIGKILL, a restart and a black hole', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    defer(() => proxy.close());
    const taskQueue = `inspector-${Date.now()}`;
    const supervisor = createSupervisor({
      address: proxy.address,
      envConfig: false,
      // The dev server ignores credentials; configured so that the page can be searched for it.
      apiKey: API_KEY,
      tls: false,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      healthCheck: { interval: '500ms', timeout: '400ms', degradedInterval: '200ms' },
      backoff: { initialDelay: '200ms', maxDelay: '1s' },
      workers: { greeter: { taskQueue, workflowsPath, activities } },
      creators: { orders: {} },
    });
    defer(() => supervisor.stop());

    // Request outcomes, reported by this "service" as the page's request marks.
    const requests = new RequestEvents();
    const report = (event: RequestEvent) => requests.emit(event);
    let sending = true;
    let sent = 0;
    const load = (async () => {
      while (sending) {
        const started = Date.now();
        const id = `inspector-${taskQueue}-${sent++}`;
        try {
          await supervisor
            .creator('orders')
            .start('greetAfterSleep', { taskQueue, workflowId: id, args: ['x', 1] }, { timeout: '1500ms' });
          const waited = Date.now() - started > 1_000;
          report({ source: 'creator:orders', outcome: waited ? 'late' : 'started', at: Date.now() });
        } catch (error) {
          const reason = error instanceof TemporalUnavailableError ? error.reason : 'other';
          report({ source: 'creator:orders', outcome: 'rejected', reason, at: Date.now() });
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    defer(async () => {
      sending = false;
      await load;
    });

    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '60s' });
    await waitUntil(() => supervisor.snapshot().children['worker:greeter'] === 'running', {
      timeoutMs: 60_000,
      what: 'worker running',
    });

    const token = randomBytes(24).toString('base64url');
    let killedAt = 0;
    const inspector = await startInspector(supervisor, {
      token,
      title: 'inspector browser test',
      requests,
      actions: {
        kill: {
          label: 'Kill the dev server (SIGKILL)',
          run: async () => {
            killedAt = performance.now();
            await server.kill();
          },
        },
        restart: { label: 'Restart the dev server', run: () => server.startAgain() },
        blackhole: { label: 'Black-hole the network', run: () => proxy.blackhole() },
        heal: { label: 'Heal the network', run: () => proxy.pass() },
      },
    });
    defer(() => inspector.close());

    // The CLI records the whole session from the inspector's URL, in this process, until interrupted.
    let interruptRecorder: (() => void) | undefined;
    const recorderOut: string[] = [];
    const recordedFile = join(ARTIFACTS, 'inspector-cli-recording.html');
    await mkdir(ARTIFACTS, { recursive: true });
    const recorder = run(['record', '--url', inspector.url, '-o', recordedFile], {
      stdout: { write: (text: string) => recorderOut.push(text) },
      stderr: { write: (text: string) => recorderOut.push(text) },
      env: { TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN: token },
      onSignal(handler) {
        interruptRecorder = () => handler('SIGINT');
        return () => {};
      },
    });
    defer(async () => {
      interruptRecorder?.();
      await recorder;
    });

    const browser = await launchChromium();
    defer(() => browser.close());
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error')
        problems.push(`console error: ${message.text()} (${message.location().url})`);
    });
    await mkdir(ARTIFACTS, { recursive: true });
    const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

    // Without the token the page is refused.
    expect((await browser.context.request.get(inspector.url)).status()).toBe(401);

    const opened = performance.now();
    await page.goto(`${inspector.url}?token=${encodeURIComponent(token)}`);
    await untilShown(page, 'connection', 'connected');
    const firstRenderMs = Math.round(performance.now() - opened);

    // The connection's chart: one arrow per transition of the machine, the active path highlighted and
    // the current leaf outlined.
    expect(await arrowsDrawn(page)).toBe(arrowsOf(connectionMachine));
    await page.waitForSelector('#graph-box g.state.active[data-path="online"]');
    await page.waitForSelector('#graph-box g.state.active[data-path="online.connected"]');
    expect(await page.locator('#graph-box g.state.current').getAttribute('data-path')).toMatch(
      /^online\.connected\.(idle|probing)$/,
    );
    // The tree: the connection with its children.
    await untilShown(page, 'worker:greeter', 'running');
    await untilShown(page, 'creator:orders', 'ready');
    expect(await page.locator('#tree li[data-actor="connection"] li').count()).toBe(2);
    await present(page, '#bands .mark.started');
    await shot('inspector-connected.png');

    // The worker's and the creator's charts, each with its own machine's arrows.
    await select(page, 'worker:greeter', 'worker');
    expect(await arrowsDrawn(page)).toBe(arrowsOf(workerMachine));
    await page.waitForSelector('#graph-box g.state.active[data-path="running"]');
    await select(page, 'creator:orders', 'creator');
    expect(await arrowsDrawn(page)).toBe(arrowsOf(creatorMachine));
    await page.waitForSelector('#graph-box g.state.current[data-path="ready"]');
    await select(page, 'connection', 'connection');

    // Kill the server from the page's own button.
    await page.click('button[data-action="kill"]');
    await waitUntil(() => killedAt > 0 && server.lastExit !== undefined, { what: 'server killed' });
    expect(server.lastExit?.signal).toBe('SIGKILL');
    await page.waitForSelector(`${tree('connection')}:not([data-state="connected"])`, { timeout: 60_000 });
    const leftConnectedMs = Math.round(performance.now() - killedAt);
    await page.waitForSelector('#facts [data-fact="down since"]');
    await page.waitForSelector('#facts [data-fact="next retry in"]', { timeout: 60_000 });
    await untilShown(page, 'creator:orders', 'waiting');
    // The chart follows: `backoff` (its substate `waiting`) or `connecting` is current, and the arrow taken
    // last is marked.
    await page.waitForSelector(
      '#graph-box g.state.current[data-path^="backoff"], #graph-box g.state.current[data-path="connecting"]',
    );
    expect(await page.locator('#graph-box g.edge.taken').count()).toBe(1);
    // Bands: the connection was connected, then down; rejected requests are marked.
    const bands = page.locator('#bands g.bands[data-actor="connection"] rect');
    await expect
      .poll(() => bands.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-state'))))
      .toEqual(expect.arrayContaining(['connected']));
    await present(
      page,
      '#bands g.bands[data-actor="connection"] rect[data-state*="backoff"], #bands g.bands[data-actor="connection"] rect[data-state*="connecting"]',
    );
    await present(page, '#bands .mark.rejected');
    // The list: the action, and the way out of connected with a human event name (raw name on hover).
    expect(await page.locator('#events li[data-actor="action"]').first().textContent()).toContain(
      'Kill the dev server',
    );
    const lost = page.locator(
      '#events li[data-actor="connection"][data-to="backoff"], #events li.loop[data-actor="connection"]',
    );
    await expect.poll(() => lost.count()).toBeGreaterThan(0);
    const raw = page.locator('#events li[data-actor="connection"] .e[data-raw^="xstate."]').first();
    if ((await raw.count()) > 0) expect(await raw.getAttribute('title')).toMatch(/^xstate\./);
    // Click an entry: its payload and the connection's context at that moment, secret-free.
    await page.locator('#events li[data-actor="connection"]').first().click();
    await page.waitForSelector('#detail pre[data-role="payload"]');
    expect(await page.locator('#detail pre[data-role="payload"]').textContent()).toContain(
      '"actor": "connection"',
    );
    expect(await page.locator('#detail pre[data-role="context"]').textContent()).toContain('"attempt"');
    await shot('inspector-outage.png');

    // Back: the restart button.
    const restartClicked = performance.now();
    await page.click('button[data-action="restart"]');
    await untilShown(page, 'connection', 'connected', 120_000);
    const reconnectedMs = Math.round(performance.now() - restartClicked);
    await untilShown(page, 'creator:orders', 'ready');
    await untilShown(page, 'worker:greeter', 'running', 120_000);

    // Black hole: probes time out, the connection degrades and is given up; then healed.
    const blackholed = performance.now();
    await page.click('button[data-action="blackhole"]');
    await page.waitForSelector(
      `${tree('connection')}[data-state="degraded"], ${tree('connection')}[data-state="backoff"], ${tree('connection')}[data-state="connecting"]`,
      {
        timeout: 60_000,
      },
    );
    const blackholeToLeftMs = Math.round(performance.now() - blackholed);
    await page.waitForSelector(
      `${tree('connection')}:not([data-state="connected"]):not([data-state="degraded"])`,
      {
        timeout: 60_000,
      },
    );
    await shot('inspector-blackhole.png');
    await page.click('button[data-action="heal"]');
    await untilShown(page, 'connection', 'connected', 120_000);
    await untilShown(page, 'worker:greeter', 'running', 120_000);
    await select(page, 'worker:greeter', 'worker');
    await shot('inspector-worker.png');
    await select(page, 'connection', 'connection');
    await present(page, '#bands .mark.started');
    await shot('inspector-recovered.png');

    const html = await page.content();
    expect(html).not.toContain(API_KEY);
    expect(html).not.toContain(token);

    // The recording: downloaded with the page's link, opened offline as a file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const file = join(ARTIFACTS, 'inspector-recording.html');
    await download.saveAs(file);
    const body = await readFile(file, 'utf8');
    expect(body).toContain('id="recording"');
    expect(body).not.toContain(API_KEY);
    expect(body).not.toContain(token);
    const offline = await browser.context.newPage();
    const offlineProblems = pageProblems(offline);
    const requested: string[] = [];
    offline.on('request', (r) => requested.push(r.url()));
    await offline.goto(pathToFileURL(file).toString());
    await offline.waitForSelector('#live.replay');
    await offline.waitForSelector(`${tree('connection')}[data-state="connected"]`);
    expect(await offline.locator('#graph-box g.edge:not(.initial-edge)').count()).toBe(
      arrowsOf(connectionMachine),
    );
    expect(await offline.locator('#bands .mark.rejected').count()).toBeGreaterThan(0);
    // Moved back to the start of the outage, the replay shows the connection down.
    // (Strings, not functions: this project compiles without the DOM's types.)
    // (Strings, not functions: this project compiles without the DOM's types.)
    const backoffAt = (await offline.evaluate(
      `(() => { const t = JSON.parse(document.getElementById('recording').textContent).hello.timeline;
        const kill = t.find((e) => e.kind === 'action' && e.id === 'kill');
        return t.find((e) => e.actor === 'connection' && e.to === 'backoff' && e.at >= kill.at).at; })()`,
    )) as number;
    await offline.evaluate(
      `(() => { const input = document.getElementById('replay-at'); input.value = String(${backoffAt + 1}); input.dispatchEvent(new Event('input')); })()`,
    );
    await offline.waitForSelector(`${tree('connection')}:not([data-state="connected"])`);
    await offline.screenshot({ path: join(ARTIFACTS, 'inspector-recording.png'), fullPage: true });
    expect(requested.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    expect(offlineProblems).toEqual([]);

    // The CLI's recording: what streamed after its hello, replayed offline the same way.
    interruptRecorder?.();
    expect(await recorder, recorderOut.join('')).toBe(0);
    expect(recorderOut.join('')).toMatch(/wrote .*inspector-cli-recording\.html: \d+ entries/);
    const cliBody = await readFile(recordedFile, 'utf8');
    expect(cliBody).not.toContain(token);
    expect(cliBody).not.toContain(API_KEY);
    const replayed = await browser.context.newPage();
    const replayProblems = pageProblems(replayed);
    await replayed.goto(pathToFileURL(recordedFile).toString());
    await replayed.waitForSelector(`${tree('connection')}[data-state="connected"]`);
    await replayed.waitForSelector(`${tree('worker:greeter')}[data-state="running"]`);
    // The kill, the restart, the black hole and the heal all came as events after the hello.
    expect(await replayed.locator('#events li[data-actor="action"]').count()).toBe(4);
    expect(await replayed.locator('#bands .mark.rejected').count()).toBeGreaterThan(0);
    expect(replayProblems).toEqual([]);
    expect(problems).toEqual([]);
    console.log(
      `inspector browser timings (ms): ${JSON.stringify({
        firstRenderMs,
        killToPageLeftConnectedMs: leftConnectedMs,
        restartClickToPageConnectedMs: reconnectedMs,
        blackholeClickToPageLeftConnectedMs: blackholeToLeftMs,
        requestsSent: sent,
        recordingBytes: body.length,
        devServer: server.timings,
      })}`,
    );
  });
});
