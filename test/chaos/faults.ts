/**
 * The faults of the chaos suite, shared by the scenarios and the soak. Each one breaks Temporal or the
 * network under a running supervisor, heals it, and says how long the supervisor took to serve again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { Supervisor } from '../../src/index.js';
import { workflowsPath } from '../fixtures/index.js';
import type { DevServer } from '../harness/dev-server.js';
import type { FaultProxy } from '../harness/fault-proxy.js';
import { installRuntime } from '../harness/worker.js';

/** The real server and the proxy in front of it; the supervisor dials `proxy.address`. */
export interface ChaosEnv {
  readonly server: DevServer;
  readonly proxy: FaultProxy;
}

/** What one fault did and how the supervisor came back. */
export interface FaultRecord {
  readonly fault: string;
  /** How long the fault lasted (from breaking to healing), ms. */
  readonly faultMs: number;
  /** From healing to the supervisor serving again (`connected` or `degraded`), ms; 0 if it never stopped. */
  readonly recoverMs: number;
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The fixtures' workflows bundled once (each supervisor would otherwise bundle them again, ~2 s of CPU). */
export async function bundleFixtures(): Promise<WorkflowBundle> {
  // SDK logs at ERROR only: core's "poll retried N times" warnings are the expected noise of every outage.
  installRuntime({ level: 'ERROR' });
  return bundleWorkflowCode({ workflowsPath, logger: quiet });
}

/**
 * Waits until the supervisor serves a real call (`GetSystemInfo` through `withClient`) and returns how long
 * that took. A call that lands on a connection the supervisor has not yet found dead is tried again.
 */
export async function untilServing(supervisor: Supervisor, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const left = timeoutMs - (performance.now() - started);
    try {
      await supervisor.withClient((client) => client.workflowService.getSystemInfo({}), {
        timeout: Math.max(1, Math.min(left, 5_000)),
      });
      return Math.round(performance.now() - started);
    } catch (error) {
      if (left <= 0) throw error;
      await sleep(50);
    }
  }
}

async function heal(fault: string, broke: number, supervisor: Supervisor): Promise<FaultRecord> {
  const healed = performance.now();
  const recoverMs = await untilServing(supervisor);
  return { fault, faultMs: Math.round(healed - broke), recoverMs };
}

/** SIGKILL the server, leave it down `downMs`, start it again on the same port and database. */
export async function killAndRestart(
  server: DevServer,
  supervisor: Supervisor,
  downMs: number,
): Promise<FaultRecord> {
  const broke = performance.now();
  await server.kill();
  await sleep(downMs);
  await server.startAgain();
  return heal('kill-restart', broke, supervisor);
}

/** A network blip: every open connection reset (TCP RST), both sides; new ones pass. */
export async function resetAll(env: ChaosEnv, supervisor: Supervisor): Promise<FaultRecord> {
  const broke = performance.now();
  env.proxy.resetAll();
  return heal('reset', broke, supervisor);
}

/** Connections stay open and nothing answers, for `ms`; then the held bytes flow again. */
export async function blackhole(env: ChaosEnv, supervisor: Supervisor, ms: number): Promise<FaultRecord> {
  const broke = performance.now();
  await env.proxy.blackhole();
  await sleep(ms);
  await env.proxy.pass();
  return heal('blackhole', broke, supervisor);
}

/** `ms` added to every chunk in each direction (a round trip gets 2 × ms) for `forMs`. */
export async function latency(
  env: ChaosEnv,
  supervisor: Supervisor,
  ms: number,
  forMs: number,
): Promise<FaultRecord> {
  const broke = performance.now();
  env.proxy.setLatency(ms);
  await sleep(forMs);
  env.proxy.setLatency(0);
  return heal('latency', broke, supervisor);
}

/** Temporal unreachable for `ms`: open connections reset, new ones refused. */
export async function outage(env: ChaosEnv, supervisor: Supervisor, ms: number): Promise<FaultRecord> {
  const broke = performance.now();
  await env.proxy.refuse();
  env.proxy.resetAll();
  await sleep(ms);
  await env.proxy.pass();
  return heal('outage', broke, supervisor);
}
