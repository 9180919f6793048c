/**
 * The inspector page in a real headless Chromium, against a real Temporal dev server: the page shows the
 * connection `connected` and the supervised worker and creator; the page's own "kill" action SIGKILLs the
 * server, and the page shows the connection leave `connected` for `backoff`, the creator waiting, and the
 * timeline recording it; the "restart" action brings the server back and the page shows `connected` again.
 * Screenshots: artifacts/inspector-outage.png, artifacts/inspector-recovered.png.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createSupervisor, startInspector } from '../../src/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { launchChromium } from '../harness/chromium.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';

const defer = useCleanups();
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const API_KEY = `test-api-key-${randomBytes(12).toString('hex')}`;

const actor = (id: string) => `section[data-actor="${id}"]`;

/** Waits until the page shows `id` in `state` (its section's data-state, set from the live stream). */
async function untilShown(page: Page, id: string, state: string, timeout = 60_000): Promise<number> {
  const started = performance.now();
  await page.waitForSelector(`${actor(id)}[data-state="${state}"]`, { timeout });
  return Math.round(performance.now() - started);
}

describe('inspector page in headless Chromium', () => {
  it('shows connected, the children, and a SIGKILL of the server live: backoff, timeline, then recovery', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const taskQueue = `inspector-${Date.now()}`;
    const supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      // The dev server ignores credentials; configured so that the page can be searched for it.
      apiKey: API_KEY,
      tls: false,
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      workers: { greeter: { taskQueue, workflowsPath, activities } },
      creators: { orders: {} },
    });
    defer(() => supervisor.stop());
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
      actions: {
        kill: {
          label: 'Kill the dev server (SIGKILL)',
          run: async () => {
            killedAt = performance.now();
            await server.kill();
          },
        },
        restart: { label: 'Restart the dev server', run: () => server.startAgain() },
      },
    });
    defer(() => inspector.close());

    const browser = await launchChromium();
    defer(() => browser.close());
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error')
        problems.push(`console error: ${message.text()} (${message.location().url})`);
    });

    // Without the token the page is refused.
    const refused = await browser.context.request.get(inspector.url);
    expect(refused.status()).toBe(401);

    const opened = performance.now();
    await page.goto(`${inspector.url}?token=${encodeURIComponent(token)}`);
    await untilShown(page, 'connection', 'connected');
    const firstRenderMs = Math.round(performance.now() - opened);
    // The connected state is highlighted in the chart, and the current leaf below it.
    const connection = page.locator(actor('connection'));
    await expect
      .poll(() => connection.locator('.state.active[data-path="online.connected"]').count())
      .toBe(1);
    expect(await connection.locator('.state.current').getAttribute('data-path')).toMatch(
      /^online\.connected\.(idle|probing)$/,
    );
    expect(await page.locator('#state').textContent()).toBe('connected');
    // The children, each with its own machine's chart.
    await untilShown(page, 'worker:greeter', 'running');
    await untilShown(page, 'creator:orders', 'ready');
    expect(await page.locator(`${actor('worker:greeter')} .state.active[data-path="running"]`).count()).toBe(
      1,
    );
    expect(await page.locator(`${actor('creator:orders')} .state[data-path="stopping"]`).count()).toBe(1);

    // Kill the server from the page's own button.
    await page.click('button[data-action="kill"]');
    await waitUntil(() => killedAt > 0 && server.lastExit !== undefined, { what: 'server killed' });
    expect(server.lastExit?.signal).toBe('SIGKILL');
    await page.waitForSelector(`${actor('connection')}:not([data-state="connected"])`, { timeout: 60_000 });
    const leftConnectedMs = Math.round(performance.now() - killedAt);
    // Backoff and connecting alternate from here on: each wait is for one rendering that shows it all at once.
    await page.waitForSelector(
      `${actor('connection')}[data-state="backoff"] .state.current[data-path="backoff"]`,
      {
        timeout: 60_000,
      },
    );
    const backoffMs = Math.round(performance.now() - killedAt);
    await page.waitForSelector(`${actor('connection')}:not([data-state="connected"]) .failure`);
    await untilShown(page, 'creator:orders', 'waiting');
    // The timeline recorded the action and the way out of connected.
    const timeline = page.locator('#timeline');
    expect(await timeline.locator('li[data-actor="action"]').first().textContent()).toContain(
      'Kill the dev server',
    );
    expect(await timeline.locator('li[data-actor="connection"][data-to="backoff"]').count()).toBeGreaterThan(
      0,
    );
    expect(
      await timeline.locator('li[data-actor="creator:orders"][data-to="waiting"]').count(),
    ).toBeGreaterThan(0);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-outage.png'), fullPage: true });

    // And back: the restart button, the page shows connected again.
    const restartClicked = performance.now();
    await page.click('button[data-action="restart"]');
    await untilShown(page, 'connection', 'connected', 120_000);
    const reconnectedMs = Math.round(performance.now() - restartClicked);
    await untilShown(page, 'creator:orders', 'ready');
    await page.screenshot({ path: join(ARTIFACTS, 'inspector-recovered.png'), fullPage: true });

    const html = await page.content();
    expect(html).toContain('online.connected');
    expect(html).not.toContain(API_KEY);
    expect(html).not.toContain(token);
    expect(problems).toEqual([]);
    console.log(
      `inspector browser timings (ms): ${JSON.stringify({
        firstRenderMs,
        killToPageLeftConnectedMs: leftConnectedMs,
        killToPageBackoffMs: backoffMs,
        restartClickToPageConnectedMs: reconnectedMs,
        devServer: server.timings,
      })}`,
    );
  });
});
