/**
 * Chaos in the network between the service and Temporal, through the fault proxy (one dev server and one
 * proxy for the file; a fresh supervisor, task queue and invariant check per scenario): connections reset,
 * a 10 s black hole, 300 ms of added latency each way, and an outage longer than the request deadlines.
 * Each runs under a steady stream of starts, with a burst on every reconnection.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { expectInvariants } from './assert.js';
import { ChaosRun, type ChaosRunOptions } from './chaos-run.js';
import {
  blackhole,
  bundleFixtures,
  type ChaosEnv,
  latency,
  outage,
  resetAll,
  untilServing,
} from './faults.js';

const defer = useCleanups();
let workflowBundle: WorkflowBundle;
let env: ChaosEnv;

beforeAll(async () => {
  workflowBundle = await bundleFixtures();
  const server = await DevServer.start();
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
  env = { server, proxy };
});

afterAll(async () => {
  await env?.proxy.close();
  await env?.server.dispose();
});

/** This process's TCP connections to `port`, from /proc/net/tcp (local ports), or 'unknown' off Linux. */
function nativeSocketsTo(port: number): string {
  try {
    const hex = port.toString(16).toUpperCase().padStart(4, '0');
    const mine = new Set(
      readdirSync('/proc/self/fd').map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      }),
    );
    const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
    const hits = rows
      .map((row) => row.trim().split(/\s+/))
      .filter((cols) => cols[2]?.endsWith(`:${hex}`) && cols[3] === '01' && mine.has(`socket:[${cols[9]}]`));
    return `${hits.length} established (local ports ${hits.map((c) => Number.parseInt(c[1]?.split(':')[1] ?? '0', 16)).join(', ')})`;
  } catch {
    return 'unknown';
  }
}

async function startRun(name: string, extra: Partial<ChaosRunOptions> = {}): Promise<ChaosRun> {
  const run = new ChaosRun({
    name,
    address: env.proxy.address,
    checkAddress: env.server.address,
    workflowBundle,
    diagnose: () =>
      `proxy ${JSON.stringify(env.proxy.stats)} (mode ${env.proxy.mode}); this process's established sockets to the proxy: ${nativeSocketsTo(env.proxy.port)}`,
    ...extra,
  });
  defer(async () => {
    await env.proxy.pass();
    env.proxy.setLatency(0);
    await run.supervisor.stop();
  });
  run.burstOnReconnect(20);
  run.start();
  await untilServing(run.supervisor);
  return run;
}

describe('chaos: the network between the service and Temporal', () => {
  it('a network blip: the proxy resets every connection, four times', async () => {
    const run = await startRun('reset');
    const stream = run.stream(100);
    const acceptedBefore = env.proxy.stats.accepted;
    const recovered: number[] = [];
    for (let k = 0; k < 4; k++) {
      await sleep(1_500);
      recovered.push((await resetAll(env, run.supervisor)).recoverMs);
    }
    await sleep(2_000);
    stream.stop();
    const report = await run.finish();
    expectInvariants(report);
    // Every reset was followed by new connections (the gRPC channels and the worker reconnect by
    // themselves: the supervisor may keep its connection through a blip), and every request was accounted for.
    expect(env.proxy.stats.accepted - acceptedBefore).toBeGreaterThanOrEqual(4);
    console.log(
      `[chaos reset] proxy accepted ${env.proxy.stats.accepted - acceptedBefore} new connections; reset → serving (ms): ${recovered.join(', ')}`,
    );
  });

  it('a black hole for 10 s: connections stay open, nothing answers', async () => {
    const run = await startRun('blackhole');
    const stream = run.stream(100);
    await sleep(1_000);
    const fault = await blackhole(env, run.supervisor, 10_000);
    await sleep(2_000);
    stream.stop();
    const report = await run.finish();
    expectInvariants(report);
    // The supervisor noticed: it gave the silent connection up and made a new one.
    expect(run.stateChanges.map((c) => c.to)).toContain('backoff');
    expect(report.reconnects).toBeGreaterThanOrEqual(1);
    console.log(`[chaos blackhole] healed → serving: ${fault.recoverMs} ms`);
  });

  it('300 ms of added latency: the supervisor degrades but keeps the connection', async () => {
    const run = await startRun('latency');
    const stream = run.stream(100);
    await sleep(1_000);
    const changesBefore = run.stateChanges.length;
    const fault = await latency(env, run.supervisor, 300, 8_000);
    const during = run.stateChanges.slice(changesBefore).map((c) => c.to);
    await run.supervisor.waitFor('connected', { timeout: '20s' });
    await sleep(1_000);
    stream.stop();
    const report = await run.finish();
    expectInvariants(report);
    expect(during).toContain('degraded');
    expect(during.filter((to) => to !== 'degraded' && to !== 'connected')).toEqual([]);
    expect(report.reconnects).toBe(0);
    // Slow is not unavailable: every request started.
    expect(report.rejected).toBe(0);
    console.log(
      `[chaos latency] states during the latency: ${during.join(' → ')}; healed → serving ${fault.recoverMs} ms`,
    );
  });

  it('an outage longer than the request deadlines: requests fail on time, the service recovers by itself', async () => {
    const deadlineMs = 3_000;
    const run = await startRun('long-outage', { deadlineMs, lateSlackMs: 1_000 });
    const stream = run.stream(100);
    await sleep(1_000);
    const fault = await outage(env, run.supervisor, 8_000);
    const servingAgain = performance.now();
    await sleep(3_000);
    stream.stop();
    const report = await run.finish();
    expectInvariants(report);
    // Requests that waited through the outage were rejected at their deadline with the typed error.
    expect(report.rejectedByReason.deadline ?? 0).toBeGreaterThan(0);
    // Recovered by itself (no retryNow): everything issued once it served again started.
    const after = run.requests.filter((r) => r.issuedAt > servingAgain);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((r) => r.outcome === undefined).map((r) => r.workflowId)).toEqual([]);
    console.log(`[chaos long-outage] ${fault.faultMs} ms outage; healed → serving: ${fault.recoverMs} ms`);
  });
});
