/**
 * What the inspector knows and sends: the actors and where they are, the bounded history of transitions,
 * actions and request outcomes, and the `hello` a newly opened page (or a recording) starts from. Fed by the
 * supervisor's public `onTransition`/`snapshot()` and by an optional request-event source.
 */
import type { MachineGraph } from '../machine-graph.js';
import { type ActorTransition, type Disposable, statePath } from '../runtime/transition-hub.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { SupervisorSnapshot } from '../supervisor/types.js';
import { History } from './history.js';
import type { MachineLayout } from './layout.js';

/** The machines a page can draw. */
export type MachineName = 'connection' | 'worker' | 'creator' | 'dispatcher';

/**
 * One request outcome, as a mark on the timeline. The supervisor has no public per-request stream yet: an
 * embedding service (or, later, the supervisor itself) reports them through {@link RequestEventSource}.
 */
export interface RequestEvent {
  /** `client` (withClient/getClient) or `creator:<name>`. */
  readonly source: string;
  /**
   * `started`: the request reached the server and succeeded; `rejected`: it failed with
   * `TemporalUnavailableError` (see `reason`); `late`: it succeeded, but only after waiting for a connection.
   */
  readonly outcome: 'started' | 'rejected' | 'late';
  /** For `rejected`: the error's `reason` (`deadline`, `queue_full`, `fail_fast`, …). */
  readonly reason?: string;
  /** ms on the supervisor's clock. */
  readonly at: number;
}

const OUTCOMES: ReadonlySet<unknown> = new Set(['started', 'rejected', 'late']);

/** The smallest interface the inspector needs to draw request outcomes. */
export interface RequestEventSource {
  onRequest(listener: (event: RequestEvent) => void): Disposable;
}

/** The connection's context at one moment: the secret-free fields of the public snapshot. */
export type ContextView = Pick<
  SupervisorSnapshot,
  | 'attempt'
  | 'retryDelayMs'
  | 'lastFailure'
  | 'probeFailures'
  | 'probeSuccesses'
  | 'pendingRequests'
  | 'lastProbeLatencyMs'
>;

/** One history entry. */
export type TimelineEntry =
  | ({ readonly kind: 'transition'; readonly context?: ContextView } & ActorTransition)
  | {
      readonly kind: 'action';
      readonly id: string;
      readonly label: string;
      readonly ok: boolean;
      readonly error?: string;
      readonly at: number;
    }
  | ({ readonly kind: 'request' } & RequestEvent);

/** One actor shown on the page. */
export interface InspectedActor {
  readonly id: string;
  readonly machine: MachineName;
  /** Coarse state (`connected`, `running`, `ready`). */
  state: string;
  /** Full path where known; a child not yet seen moving shows its coarse state. */
  path: string;
  /** When it entered its current state, where known (ms, supervisor clock). */
  since: number | undefined;
}

export interface DrawnMachine {
  readonly graph: MachineGraph;
  readonly layout: MachineLayout;
}

/** What a page starts from. */
export interface Hello {
  readonly version: 1;
  readonly title: string;
  readonly machines: Readonly<Record<MachineName, DrawnMachine>>;
  readonly actors: readonly InspectedActor[];
  readonly snapshot: SupervisorSnapshot;
  readonly timeline: readonly TimelineEntry[];
  readonly timelineSize: number;
  readonly historyWindowMs: number;
  readonly actions: readonly { readonly id: string; readonly label: string; readonly confirm?: string }[];
  /** The supervisor clock's now when this was made. */
  readonly now: number;
  /** The wall clock's now when this was made (to map supervisor time to dates on the page). */
  readonly wallNow: number;
}

/** Which machine an actor id runs. */
export function machineOf(id: string): MachineName | undefined {
  if (id === 'connection') return 'connection';
  if (id.startsWith('worker:')) return 'worker';
  if (id.startsWith('creator:')) return 'creator';
  if (id.startsWith('dispatcher:')) return 'dispatcher';
  return undefined;
}

export function contextOf(snapshot: SupervisorSnapshot): ContextView {
  return {
    attempt: snapshot.attempt,
    retryDelayMs: snapshot.retryDelayMs,
    lastFailure: snapshot.lastFailure,
    probeFailures: snapshot.probeFailures,
    probeSuccesses: snapshot.probeSuccesses,
    pendingRequests: snapshot.pendingRequests,
    lastProbeLatencyMs: snapshot.lastProbeLatencyMs,
  };
}

export interface ModelOptions {
  readonly timelineSize: number;
  readonly historyWindowMs: number;
  readonly now: () => number;
  /** Called with each new entry (after it is recorded). */
  readonly publish: (event: 'transition' | 'action' | 'request', entry: TimelineEntry) => void;
}

export class InspectorModel {
  readonly actors = new Map<string, InspectedActor>();
  readonly history: History<TimelineEntry>;
  private readonly subscriptions: Disposable[] = [];

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: ModelOptions,
    requests: RequestEventSource | undefined,
  ) {
    this.history = new History(options.timelineSize, options.historyWindowMs);
    const initial = supervisor.snapshot();
    this.actors.set('connection', {
      id: 'connection',
      machine: 'connection',
      state: initial.state,
      path: statePath(initial.value),
      since: initial.since,
    });
    this.noteChildren(initial.children);
    this.subscriptions.push(supervisor.onTransition((t) => this.onTransition(t)));
    if (requests) {
      this.subscriptions.push(
        requests.onRequest((event) => {
          // Whatever the source sends: a malformed event is dropped, and nothing is thrown back at it.
          try {
            if (typeof event !== 'object' || event === null || !OUTCOMES.has(event.outcome)) return;
            const entry: TimelineEntry = {
              kind: 'request',
              source: String(event.source).slice(0, 200),
              outcome: event.outcome,
              ...(event.reason === undefined ? {} : { reason: String(event.reason).slice(0, 200) }),
              at: Number.isFinite(event.at) ? event.at : options.now(),
            };
            this.record('request', entry);
          } catch {}
        }),
      );
    }
  }

  private noteChildren(children: Readonly<Record<string, string>>): void {
    for (const [id, state] of Object.entries(children)) {
      const machine = machineOf(id);
      if (machine && !this.actors.has(id))
        this.actors.set(id, { id, machine, state, path: state, since: undefined });
    }
  }

  private onTransition(transition: ActorTransition): void {
    const machine = machineOf(transition.actor);
    if (!machine) return;
    const actor = this.actors.get(transition.actor);
    const since = actor?.state === transition.to ? actor.since : transition.at;
    this.actors.set(transition.actor, {
      id: transition.actor,
      machine,
      state: transition.to,
      path: transition.toPath,
      since,
    });
    const context = machine === 'connection' ? contextOf(this.supervisor.snapshot()) : undefined;
    this.record('transition', { kind: 'transition', ...transition, ...(context ? { context } : {}) });
  }

  record(event: 'transition' | 'action' | 'request', entry: TimelineEntry): void {
    this.history.push(entry);
    this.options.publish(event, entry);
  }

  /** The current view, for a page opened now. */
  hello(base: Pick<Hello, 'title' | 'machines' | 'actions'>, snapshot: SupervisorSnapshot): Hello {
    this.noteChildren(snapshot.children);
    return {
      version: 1,
      ...base,
      actors: [...this.actors.values()],
      snapshot,
      timeline: this.history.toArray(),
      timelineSize: this.options.timelineSize,
      historyWindowMs: this.options.historyWindowMs,
      now: this.options.now(),
      wallNow: Date.now(),
    };
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }
}
