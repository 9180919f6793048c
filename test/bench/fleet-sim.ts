/**
 * A fleet of supervisors by simulation: `replicas` real supervisors (the real connection statechart, backoff
 * and jitter, reachability watch, health checks; defaults unless `options` says otherwise), each with a seed of
 * its own, on one ManualClock, against one simulated server that every replica's fake connector asks.
 * The server is up; every replica connects (started at random moments over 2 s); the server dies (every
 * connection is lost at once, as a SIGKILL's reset tells every channel); it stays down `outageMs`; it comes
 * back. Recorded, on the simulated clock: every connection attempt (`connect`), every reachability dial
 * (a TCP connect to the port) and every health probe the server receives, and when each replica is
 * `connected` again. No real time passes and no socket opens: 1,000 replicas through a 2-minute outage take
 * seconds of CPU.
 */
import { ConnectionFailureError } from '../../src/errors.js';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import type { ConnectRequest, LiveConnection } from '../../src/runtime/connector.js';
import { FakeConnection, FakeConnector, failures } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

/** What the server saw, in simulated ms since the start. */
export interface FleetRecord {
  readonly connects: number[];
  readonly dials: number[];
  readonly probes: number[];
  /** When the server went down and came back. */
  readonly downAt: number;
  readonly upAt: number;
  /** Per replica: when it was `connected` again after `upAt` (undefined: not by the end). */
  readonly reconnectedAt: (number | undefined)[];
}

class SimServer {
  up = true;
  readonly connects: number[] = [];
  readonly dials: number[] = [];
  readonly probes: number[] = [];
  readonly live = new Set<SimConnection>();
  constructor(readonly clock: ManualClock) {}
}

/** A connection whose probes the simulated server answers at once: healthy while up, refused while down. */
class SimConnection extends FakeConnection {
  constructor(
    id: number,
    private readonly sim: SimServer,
  ) {
    super(id);
  }

  override probe(): Promise<{ latencyMs: number }> {
    this.sim.probes.push(this.sim.clock.now());
    return this.sim.up
      ? Promise.resolve({ latencyMs: 1 })
      : Promise.reject(new ConnectionFailureError(failures.unavailable));
  }

  override async close(): Promise<void> {
    this.closed = true;
    this.sim.live.delete(this);
  }
}

class SimConnector extends FakeConnector {
  constructor(private readonly sim: SimServer) {
    super();
  }

  override connect(request: ConnectRequest): Promise<LiveConnection> {
    this.sim.connects.push(this.sim.clock.now());
    if (!this.sim.up) return Promise.reject(new ConnectionFailureError(failures.unavailable));
    const connection = new SimConnection(request.id, this.sim);
    this.sim.live.add(connection);
    return Promise.resolve(connection);
  }

  override async isReachable(): Promise<boolean> {
    this.sim.dials.push(this.sim.clock.now());
    return this.sim.up;
  }
}

/** Lets every promise callback run (each replica's reaction to what its timers started). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Fires every timer due up to `until`, one due time at a time, letting promises settle after each. */
async function runUntil(clock: ManualClock, until: number): Promise<void> {
  for (;;) {
    const due = clock.nextDue;
    if (due === undefined || due > until) break;
    while (clock.nextDue === due) clock.fireNext();
    await settle();
  }
  clock.advance(Math.max(0, until - clock.now()));
  await settle();
}

export async function simulateFleet({
  replicas,
  outageMs,
  afterMs = 20_000,
  options = {},
  seed = 1,
}: {
  replicas: number;
  outageMs: number;
  afterMs?: number;
  options?: SupervisorOptions;
  seed?: number;
}): Promise<FleetRecord> {
  const clock = new ManualClock();
  const sim = new SimServer(clock);
  // Start moments and seeds from one generator, so that a run is repeatable.
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
  const supervisors: Supervisor[] = [];
  for (let i = 0; i < replicas; i++) {
    const supervisor = createSupervisor({
      envConfig: false,
      connector: new SimConnector(sim),
      clock,
      seed: Math.floor(random() * 2 ** 31),
      ...options,
    });
    supervisors.push(supervisor);
    clock.setTimeout(() => supervisor.start(), Math.floor(random() * 2_000));
  }
  await runUntil(clock, 30_000);
  const notUp = supervisors.filter((s) => s.state !== 'connected').length;
  if (notUp > 0) throw new Error(`${notUp} of ${replicas} replicas did not connect before the outage`);

  const downAt = clock.now();
  sim.up = false;
  for (const connection of [...sim.live]) connection.emit({ type: 'lost', failure: failures.unavailable });
  await settle();
  await runUntil(clock, downAt + outageMs);

  const upAt = clock.now();
  sim.up = true;
  const reconnectedAt: (number | undefined)[] = new Array(replicas).fill(undefined);
  const subscriptions = supervisors.map((supervisor, i) =>
    supervisor.onStateChange(({ to }) => {
      if (to === 'connected' && reconnectedAt[i] === undefined) reconnectedAt[i] = clock.now();
    }),
  );
  await runUntil(clock, upAt + afterMs);
  for (const subscription of subscriptions) subscription.dispose();

  const stopping = supervisors.map((supervisor) => supervisor.stop());
  await settle();
  clock.advance(60_000);
  await settle();
  await Promise.all(stopping);
  return { connects: sim.connects, dials: sim.dials, probes: sim.probes, downAt, upAt, reconnectedAt };
}

/** The most events in any window of `windowMs` (sliding, starting at an event) among `times` within [from, to). */
export function maxPerWindow(times: readonly number[], windowMs: number, from: number, to: number): number {
  const sorted = times.filter((t) => t >= from && t < to).sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
