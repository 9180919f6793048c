/**
 * The supervisor's instruments, once for every metrics library: what each measures, its labels, how a gauge is
 * read from the snapshot and how a counter counts from the transition stream. `registerMetrics` (prom-client,
 * src/metrics.ts) and `registerOpenTelemetryMetrics` (src/opentelemetry.ts) only bind these to their library,
 * so both expose the same instruments by construction.
 *
 * Names are written without prefix, unit or `_total`: prom-client's are `<prefix><name>[_seconds][_total]`,
 * OpenTelemetry's `<prefix>.<name>` with unit `s`, which the OpenTelemetry Prometheus exporter turns back into the
 * prom-client names.
 */
import { CONNECTION_STATES } from '../../machines/connection.types.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { dispatcherMachine } from '../../machines/dispatcher.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import type { DispatcherView } from '../children/dispatcher-actors.js';
import { healthOf, NOT_POLLING, workerFailureCode } from '../health.js';
import type { Disposable } from '../runtime/transition-hub.js';
import { runtimeOf } from '../supervisor/internals.js';
import type { Supervisor } from '../supervisor/supervisor.js';

export type Labels = Record<string, string>;
/** Reports one value of a gauge, with its labels. */
export type Observe = (value: number, labels?: Labels) => void;

/** What a supervisor's instruments are bound to: its names and clock, read once. */
export interface Instrumented {
  readonly supervisor: Supervisor;
  readonly now: () => number;
  readonly workers: readonly string[];
  readonly creators: readonly string[];
}

export function instrumented(supervisor: Supervisor): Instrumented {
  const runtime = runtimeOf(supervisor);
  const clock = runtime.clock;
  return {
    supervisor,
    now: () => clock.now(),
    workers: [...runtime.workers.keys()],
    creators: [...runtime.creators.keys()],
  };
}

export interface GaugeDefinition {
  readonly name: string;
  readonly seconds?: true;
  readonly help: string;
  readonly labels: readonly string[];
  /** Reports every current value; called at each collection (scrape or export). */
  read(target: Instrumented, observe: Observe): void;
}

/** Every state of a worker and of a creator: the machines' top-level states (each is also its tag). */
const WORKER_STATES = Object.keys(workerMachine.root.states);
const CREATOR_STATES = Object.keys(creatorMachine.root.states);

/** 1 for each child's current state, 0 for its other states. */
function childStates(kind: 'worker' | 'creator', states: readonly string[]) {
  return ({ supervisor, workers, creators }: Instrumented, observe: Observe) => {
    const { children } = supervisor.snapshot();
    for (const child of kind === 'worker' ? workers : creators) {
      const current = children[`${kind}:${child}`] ?? 'stopped';
      for (const state of states) observe(state === current ? 1 : 0, { [kind]: child, state });
    }
  };
}

const DISPATCHER_STATES = Object.keys(dispatcherMachine.root.states);

/** A gauge of one outbox, read from its view (`snapshot().outboxes[name]`); labelled `outbox` besides. */
export interface OutboxGaugeDefinition {
  readonly name: string;
  readonly seconds?: true;
  readonly help: string;
  readonly labels: readonly string[];
  read(view: DispatcherView, observe: Observe): void;
}

/**
 * The outbox's gauges, once: the supervisor's metrics report them for every outbox attached to it, and
 * `registerOutboxMetrics` (temporal-supervisor/outbox) for one outbox, its depth read at each scrape.
 */
export const OUTBOX_GAUGES: readonly OutboxGaugeDefinition[] = [
  {
    name: 'outbox_intents',
    help: 'Intents in the outbox store, by status (pending is the depth), as last read.',
    labels: ['status'],
    read: ({ depth }, observe) => {
      if (!depth) return;
      for (const status of ['pending', 'started', 'failed'] as const) observe(depth[status], { status });
    },
  },
  {
    name: 'outbox_oldest_pending_age',
    seconds: true,
    help: 'Age of the oldest pending intent (0 when none), as last read.',
    labels: [],
    read: ({ depth }, observe) => {
      if (depth) observe(depth.oldestPendingAgeMs / 1000);
    },
  },
  {
    name: 'outbox_dispatcher_state',
    help: '1 for the state the dispatcher is in, 0 for the others.',
    labels: ['state'],
    read: ({ state: current }, observe) => {
      for (const state of DISPATCHER_STATES) observe(state === current ? 1 : 0, { state });
    },
  },
  {
    name: 'outbox_dispatch_outcomes',
    help: 'Dispatch outcomes of this process since it started (started, failed, retried, deferred).',
    labels: ['outcome'],
    read: ({ outcomes }, observe) => {
      for (const outcome of ['started', 'failed', 'retried', 'deferred'] as const)
        observe(outcomes[outcome], { outcome });
    },
  },
  {
    name: 'outbox_dead_letters',
    help: 'Intents this process parked as failed, by reason.',
    labels: ['reason'],
    read: ({ outcomes }, observe) => {
      for (const [reason, n] of Object.entries(outcomes.failedByReason)) observe(n ?? 0, { reason });
    },
  },
];

/** An outbox gauge over every outbox attached to the supervisor. */
function overOutboxes(gauge: OutboxGaugeDefinition): GaugeDefinition {
  return {
    ...gauge,
    labels: ['outbox', ...gauge.labels],
    read: ({ supervisor }, observe) => {
      for (const view of Object.values(supervisor.snapshot().outboxes)) {
        gauge.read(view, (value, labels) => observe(value, { outbox: view.name, ...labels }));
      }
    },
  };
}

export const GAUGES: readonly GaugeDefinition[] = [
  {
    name: 'state',
    help: 'Connection state: 1 for the current state, 0 for the others.',
    labels: ['state'],
    read: ({ supervisor }, observe) => {
      const current = supervisor.state;
      for (const state of CONNECTION_STATES) observe(state === current ? 1 : 0, { state });
    },
  },
  {
    name: 'time_in_state',
    seconds: true,
    help: 'Time since the connection entered its current state.',
    labels: [],
    read: ({ supervisor, now }, observe) => observe(Math.max(0, now() - supervisor.snapshot().since) / 1000),
  },
  {
    name: 'connection_attempt',
    help: 'Number of the current (or last) connection attempt since the connection was last stable.',
    labels: [],
    read: ({ supervisor }, observe) => observe(supervisor.snapshot().attempt),
  },
  {
    name: 'ready',
    help: 'Readiness (1: requests can be served now, connected or degraded), as the readiness endpoint.',
    labels: [],
    read: ({ supervisor }, observe) => observe(healthOf(supervisor).ready ? 1 : 0),
  },
  {
    name: 'live',
    help: 'Liveness (0 only when a supervised child has given up beyond its restart intensity).',
    labels: [],
    read: ({ supervisor }, observe) => observe(healthOf(supervisor).live ? 1 : 0),
  },
  {
    name: 'pending_requests',
    help: 'Requests (withClient, getClient, creators) waiting for a serving connection.',
    labels: [],
    read: ({ supervisor }, observe) => observe(supervisor.snapshot().pendingRequests),
  },
  {
    name: 'creator_pending_requests',
    help: 'Requests of a creator accepted and not yet settled (waiting or in flight), against its maxPending.',
    labels: ['creator'],
    read: ({ supervisor, creators }, observe) => {
      for (const creator of creators) observe(supervisor.creator(creator).pending, { creator });
    },
  },
  {
    name: 'worker_state',
    help: 'State of each supervised worker: 1 for its current state, 0 for the others.',
    labels: ['worker', 'state'],
    read: childStates('worker', WORKER_STATES),
  },
  {
    name: 'creator_state',
    help: 'State of each workflow creator: 1 for its current state, 0 for the others.',
    labels: ['creator', 'state'],
    read: childStates('creator', CREATOR_STATES),
  },
  ...OUTBOX_GAUGES.map(overOutboxes),
];

export interface CounterDefinition {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
}

export const COUNTERS = {
  transitions: {
    name: 'transitions',
    help: 'State changes of the connection (coarse states) and of each worker, creator and outbox dispatcher.',
    labels: ['actor', 'from', 'to'],
  },
  attempts: {
    name: 'connection_attempts',
    help: 'Connection attempts that ended, by result: success, failure, or abandoned (stop).',
    labels: ['result'],
  },
  failures: {
    name: 'connection_failures',
    help: 'Entries into backoff (a failed attempt or a lost connection), by failure kind and code.',
    labels: ['kind', 'code'],
  },
  rejected: {
    name: 'requests_rejected',
    help: 'Requests rejected with TemporalUnavailableError, by reason, and by source (client: withClient or getClient; creator:<name>: a creator request).',
    labels: ['reason', 'source'],
  },
  restarts: {
    name: 'worker_restarts',
    help: 'Restarts of each worker after a failure (entries into restarting).',
    labels: ['worker'],
  },
  notPolling: {
    name: 'worker_not_polling',
    help: 'Workers replaced because the server saw no poll of theirs for pollerCheck.absentFor (also counted in worker_restarts).',
    labels: ['worker'],
  },
} as const satisfies Record<string, CounterDefinition>;

export type CounterName = keyof typeof COUNTERS;

export const HEALTH_CHECK_DURATION = {
  name: 'health_check_duration',
  seconds: true,
  help: 'Duration of each health check of the connection, by result (success or failure).',
  labels: ['result'],
} as const;

export const DEFAULT_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Whether `buckets` are histogram bounds: a non-empty array of increasing positive numbers. */
export function areBuckets(buckets: unknown): buckets is readonly number[] {
  return (
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => typeof b === 'number' && b > 0 && (i === 0 || b > (buckets[i - 1] as number)))
  );
}

/** Where the counted events go: a counter by name, and the health-check histogram. */
export interface CountingSink {
  add(counter: CounterName, labels: Labels, value?: number): void;
  healthCheck(seconds: number, labels: Labels): void;
}

/**
 * Counts from the transition stream and the probe/rejection observer into `sink`, from now on; first reports
 * the zero series a dashboard needs from the start (every attempt result, every worker's restarts).
 */
export function count({ supervisor, workers }: Instrumented, sink: CountingSink): Disposable[] {
  for (const result of ['success', 'failure', 'abandoned']) sink.add('attempts', { result }, 0);
  for (const worker of workers) {
    sink.add('restarts', { worker }, 0);
    sink.add('notPolling', { worker }, 0);
  }
  return [
    supervisor.onTransition(({ actor, from, to }) => {
      if (from === to || from === 'none') return;
      sink.add('transitions', { actor, from, to });
      if (actor === 'connection') {
        if (from === 'connecting') {
          const result =
            to === 'connected' || to === 'degraded' ? 'success' : to === 'backoff' ? 'failure' : 'abandoned';
          sink.add('attempts', { result });
        }
        if (to === 'backoff') {
          const failure = supervisor.snapshot().lastFailure;
          // Codes are upper-case names (gRPC statuses, ours); anything else from a custom connector is OTHER.
          const code = failure && /^[A-Z][A-Z0-9_]{0,63}$/.test(failure.code) ? failure.code : 'OTHER';
          sink.add('failures', { kind: failure?.kind === 'permanent' ? 'permanent' : 'transient', code });
        }
      } else if ((to === 'restarting' || to === 'givenUp') && actor.startsWith('worker:')) {
        const worker = actor.slice('worker:'.length);
        if (to === 'restarting') sink.add('restarts', { worker });
        if (workerFailureCode(supervisor, actor) === NOT_POLLING) sink.add('notPolling', { worker });
      }
    }),
    supervisor.observe({
      probe: ({ ok, seconds }) => sink.healthCheck(seconds, { result: ok ? 'success' : 'failure' }),
      rejected: (reason, source) => sink.add('rejected', { reason, source }),
    }),
  ];
}
