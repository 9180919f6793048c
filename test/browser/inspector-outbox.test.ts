/**
 * The inspector's tree shows an outbox's dispatcher as a child of the connection, like a worker or a
 * creator (docs/outbox.md, "The dispatcher"): its state, the outbox's depth with the oldest pending age, and
 * its outcomes; selected, it draws the dispatcher's statechart. A supervisor on the fake connector (real
 * clock), an in-memory PGlite store, the real inspector page in headless Chromium.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { dispatcherMachine } from '../../machines/dispatcher.machine.js';
import { createSupervisor, machineGraph, startInspector } from '../../src/index.js';
import { createOutbox } from '../../src/outbox/index.js';
import { launchChromium } from '../harness/chromium.js';
import { useCleanups } from '../harness/cleanups.js';
import { waitUntil } from '../harness/wait.js';
import { FakeConnector, flush } from '../support/fake-connector.js';

const defer = useCleanups();
const TOKEN = randomBytes(24).toString('base64url');
const row = (id: string) => `#tree li[data-actor="${id}"]`;

describe('inspector: the outbox dispatcher in the supervision tree', () => {
  it('shows dispatcher:<name> with its state, depth and outcomes, and draws its statechart', async () => {
    const connector = new FakeConnector();
    const supervisor = createSupervisor({
      envConfig: false,
      connector,
      reachabilityInterval: false,
      creators: { outbox: {} },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    defer(() => supervisor.stop());
    const db = new PGlite();
    defer(() => db.close());
    const outbox = await createOutbox({
      supervisor,
      creator: 'outbox',
      name: 'orders',
      store: { pglite: db },
    });
    defer(() => outbox.stop());
    for (let i = 0; i < 3; i++) {
      await outbox.enqueue({ id: `i${i}`, workflowType: 'w', workflowId: `wf${i}`, taskQueue: 'q' });
    }
    await outbox.metrics(); // the depth the snapshot carries, read now

    const inspector = await startInspector(supervisor, { token: TOKEN, title: 'outbox inspector test' });
    defer(() => inspector.close());
    const browser = await launchChromium();
    defer(() => browser.close());
    const page = await browser.context.newPage();
    await page.goto(`${inspector.url}?token=${TOKEN}`);

    // Not started: paused, the three intents waiting.
    await page.waitForSelector(`${row('dispatcher:orders')}[data-state="paused"]`, { timeout: 60_000 });
    const meta = () => page.locator(`${row('dispatcher:orders')} > .row .meta`).textContent();
    await waitUntil(async () => (await meta())?.includes('depth 3 (oldest'), {
      timeoutMs: 30_000,
      what: 'depth 3 with the oldest age in the tree',
    });
    // A child of the connection, as the creator is.
    expect(await page.$$(`${row('connection')} > ul > ${row('dispatcher:orders').slice(6)}`)).toHaveLength(1);

    // Selected, it draws the dispatcher's statechart: one arrow per transition (targetless ones too).
    await page.click(`${row('dispatcher:orders')} > .row`);
    await page.waitForSelector(
      '#graph-panel[data-actor="dispatcher:orders"] svg.chart[data-machine="dispatcher"]',
    );
    const arrows = machineGraph(dispatcherMachine).transitions.reduce(
      (n, t) => n + Math.max(1, t.targets.length),
      0,
    );
    expect(await page.locator('#graph-box g.edge:not(.initial-edge)').count()).toBe(arrows);

    // Connected: it drains; the tree follows (idle, depth 0, 3 started).
    supervisor.start();
    await flush();
    connector.succeed();
    await page.waitForSelector(`${row('dispatcher:orders')}[data-state="idle"]`, { timeout: 60_000 });
    await waitUntil(
      async () => {
        const text = (await meta()) ?? '';
        return text.includes('depth 0') && text.includes('started 3');
      },
      { timeoutMs: 30_000, what: 'depth 0, 3 started in the tree' },
    );
    expect(connector.server.startCalls).toBe(3);
  });
});
