import { catchAsync, FaultReporter } from '../logging/faults.js';
import type { SupervisorLogger } from '../logging/logger.js';
import type { Clock } from './clock.js';

/**
 * One state transition of one of the supervisor's actors: the connection machine (`actor: 'connection'`)
 * or a supervised child (`worker:<name>`, `creator:<name>`). Emitted on every change of the actor's state
 * value, substates included (`online.connected.idle` → `online.connected.probing`), for logs, metrics and
 * the inspector. Secret-free by construction: it carries names, states and event types only.
 */
export interface ActorTransition {
  /** `connection`, `worker:<name>`, `creator:<name>` or `dispatcher:<name>`. */
  readonly actor: string;
  /** The coarse state before and after: a `ConnectionState`, a `WorkerState` or a `CreatorState`. */
  readonly from: string;
  readonly to: string;
  /** The full state value as a dotted path before and after, e.g. `online.connected.probing`. */
  readonly fromPath: string;
  readonly toPath: string;
  /** The type of the event that caused it. */
  readonly event: string;
  /** When it happened, ms on the supervisor's clock. */
  readonly at: number;
}

/** Settles a subscription. */
export interface Disposable {
  dispose(): void;
}

/**
 * A set of listeners called synchronously in order of subscription. One that throws (or returns a promise that
 * rejects) is kept, never stops the others, and is logged: the first fault at once, then at most once a minute
 * with the count of those in between, so that a listener failing on every transition cannot flood the log.
 */
export class Listeners<T> {
  private readonly listeners = new Set<(value: T) => void>();
  private readonly faults: FaultReporter;

  constructor(log: SupervisorLogger, what: string, describe: (error: unknown) => string) {
    this.faults = new FaultReporter((_kind, error, suppressed) => {
      log.log('error', `${what} threw`, {
        error: describe(error),
        ...(suppressed > 0 ? { suppressed } : {}),
      });
    });
  }

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (value: T) => void): Disposable {
    if (typeof listener !== 'function') {
      throw new TypeError(
        `Expected a listener function, received ${typeof listener}. Pass e.g. (change) => …`,
      );
    }
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  emit(value: T): void {
    const fault = (error: unknown) => this.faults.report('listener', error);
    for (const listener of [...this.listeners]) {
      try {
        catchAsync(listener(value) as unknown, fault);
      } catch (error) {
        fault(error);
      }
    }
  }
}

/**
 * Turns the snapshots of every actor into `ActorTransition`s: remembers the last state of each actor and emits
 * one transition per change of its state value.
 */
export class TransitionHub {
  /** The last state seen of each actor (`connection`, `worker:<name>`, …): coarse state and path. */
  private readonly lastSeen = new Map<string, { state: string; path: string }>();
  readonly listeners: Listeners<ActorTransition>;

  constructor(
    private readonly clock: Clock,
    log: SupervisorLogger,
    describe: (error: unknown) => string,
  ) {
    this.listeners = new Listeners(log, 'Transition listener', describe);
  }

  /** A snapshot of `actor` was taken: emits a transition if its state value changed. */
  note(actor: string, state: string, value: unknown, event: string): void {
    const path = statePath(value) || state;
    const previous = this.lastSeen.get(actor);
    if (previous && previous.path === path) return;
    this.lastSeen.set(actor, { state, path });
    if (this.listeners.size === 0) return;
    this.listeners.emit({
      actor,
      from: previous?.state ?? 'none',
      to: state,
      fromPath: previous?.path ?? 'none',
      toPath: path,
      event,
      at: this.clock.now(),
    });
  }
}

/** A state value as a dotted path: `{ online: { connected: 'probing' } }` → `online.connected.probing`. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value)
    .map(([key, inner]) => {
      const rest = statePath(inner);
      return rest ? `${key}.${rest}` : key;
    })
    .join(',');
}

/** What the runtime reads of a child actor's snapshot. */
export type ChildSnapshot = { tags?: Set<string>; value?: unknown; status: string; context?: unknown };

/** The state of a child actor: its first tag, else its state value. */
export function childStateOf(snapshot: ChildSnapshot): string {
  const tag = snapshot.tags ? [...snapshot.tags][0] : undefined;
  return tag ?? (typeof snapshot.value === 'string' ? snapshot.value : snapshot.status);
}

/**
 * Supervised children have fixed ids `creator:<name>`, `worker:<name>` and `dispatcher:<name>`; other
 * children are invocations.
 */
export function isSupervisedChild(id: string): boolean {
  return id.startsWith('creator:') || id.startsWith('worker:') || id.startsWith('dispatcher:');
}

/** `worker:orders` → `['worker', 'orders']`. */
export function splitChildId(id: string): [string, string] {
  const at = id.indexOf(':');
  return [id.slice(0, at), id.slice(at + 1)];
}
