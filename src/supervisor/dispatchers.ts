import type { AnyActorRef } from 'xstate';
import type { ConnectionEvent } from '../../machines/connection.types.js';
import type {
  DispatcherContext,
  DispatcherEvent,
  DispatcherInput,
  DispatcherState,
} from '../../machines/dispatcher.machine.js';
import type { DispatcherHost, DispatcherView, DispatcherWork } from '../children/dispatcher-actors.js';
import { SupervisorOptionsError } from '../errors.js';
import type { SupervisorLogger } from '../logging/logger.js';
import { redactFailure } from '../logging/redact.js';
import { dispatcherTransitionEntry } from '../logging/transition-log.js';
import { whenDone } from '../runtime/stop-children.js';
import type { ActorTransition, Listeners } from '../runtime/transition-hub.js';

/** What the registry needs of the supervisor's runtime. */
export interface DispatcherRegistryHost {
  readonly log: SupervisorLogger;
  readonly redact: (text: string) => string;
  readonly stopped: boolean;
  readonly hub: { readonly listeners: Listeners<ActorTransition> };
  send(event: ConnectionEvent): void;
  child(id: string): AnyActorRef | undefined;
}

/** One dispatcher attached to a supervisor: its child actor, reached by its fixed id. */
export interface AttachedDispatcher {
  readonly id: string;
  /** Sends the dispatcher `WAKE` or `STOP` (a stopped one ignores both). */
  send(event: Extract<DispatcherEvent, { type: 'WAKE' | 'STOP' }>): void;
  /** The child's snapshot (undefined once replaced). */
  snapshot(): { value: unknown; status: string; context: DispatcherContext } | undefined;
  /** Resolves once the child has reached `stopped` (by `STOP`, or by the supervisor's stop). */
  stopped(): Promise<void>;
}

type DispatcherSnapshot = { value: unknown; status: string; context: DispatcherContext };

/**
 * The outbox dispatchers attached to one supervisor (`dispatcher:<name>` children of its connection
 * statechart): the work behind each, their views for the snapshot and metrics, and their log lines (with
 * the outbox's depth and outcomes).
 */
export class DispatcherRegistry implements DispatcherHost {
  private readonly works = new Map<string, DispatcherWork>();
  private readonly logs = new Map<string, SupervisorLogger>();
  private logging = false;

  constructor(private readonly host: DispatcherRegistryHost) {}

  /**
   * Attaches `work` as the child `dispatcher:<input.name>`: spawned by the connection statechart, told of
   * the connection as workers and creators are, stopped before the creators at the supervisor's stop.
   * @throws {SupervisorOptionsError} the supervisor is stopped, or a live dispatcher has that name.
   */
  attach(input: DispatcherInput, work: DispatcherWork): AttachedDispatcher {
    this.assertAttachable(input.name);
    const id = `dispatcher:${input.name}`;
    if (!this.logging) {
      this.logging = true;
      this.host.hub.listeners.add((transition) => this.logTransition(transition));
    }
    this.works.set(input.name, work);
    this.host.send({ type: 'ATTACH_DISPATCHER', dispatcher: input });
    const actor = this.host.child(id);
    const mine = () => (this.host.child(id) === actor ? actor : undefined);
    return {
      id,
      send: (event) => {
        const live = mine();
        if (live?.getSnapshot().status === 'active') live.send(event);
      },
      snapshot: () => mine()?.getSnapshot() as DispatcherSnapshot | undefined,
      stopped: () => whenDone(actor),
    };
  }

  /**
   * Throws unless a dispatcher `name` can be attached now.
   * @throws {SupervisorOptionsError} the supervisor is stopped, or a live dispatcher has that name.
   */
  assertAttachable(name: string): void {
    if (this.host.stopped) {
      throw new SupervisorOptionsError(
        'supervisor',
        `The supervisor is stopped: dispatcher ${JSON.stringify(name)} cannot be attached. Create the outbox on a supervisor that is not stopped.`,
      );
    }
    const existing = this.host.child(`dispatcher:${name}`);
    if (existing && existing.getSnapshot().status === 'active') {
      throw new SupervisorOptionsError(
        'name',
        `A dispatcher named ${JSON.stringify(name)} is already attached to this supervisor. Give each outbox on one supervisor its own \`name\` (it labels its metrics and logs), or stop the other one first.`,
      );
    }
  }

  dispatcherWork(name: string): DispatcherWork {
    const work = this.works.get(name);
    if (!work) throw new TypeError(`No dispatcher named ${JSON.stringify(name)} is attached.`);
    return work;
  }

  /** Whether the dispatcher `name` is attached as significant. */
  isSignificant(name: string): boolean {
    return this.works.get(name)?.significant === true;
  }

  /** The longest `settle()` bound of the dispatchers attached (0 when none). */
  settleBoundMs(): number {
    return Math.max(0, ...[...this.works.values()].map((work) => work.settleTimeoutMs));
  }

  /** Every attached dispatcher's view, by name (`snapshot().outboxes`). */
  views(): Record<string, DispatcherView> {
    const views: Record<string, DispatcherView> = {};
    for (const name of this.works.keys()) {
      const view = this.view(name);
      if (view) views[name] = view;
    }
    return views;
  }

  private view(name: string): DispatcherView | undefined {
    const snapshot = this.host.child(`dispatcher:${name}`)?.getSnapshot() as DispatcherSnapshot | undefined;
    const work = this.works.get(name);
    if (!snapshot || !work) return undefined;
    let outbox: ReturnType<DispatcherWork['view']>;
    try {
      outbox = work.view();
    } catch {
      return undefined;
    }
    const { context } = snapshot;
    return {
      ...outbox,
      name,
      state: (snapshot.status === 'done' ? 'stopped' : snapshot.value) as DispatcherState,
      connected: context.connected,
      failures: context.failures,
      lastFailure: context.lastFailure && redactFailure(context.lastFailure, this.host.redact),
    };
  }

  private logTransition(transition: ActorTransition): void {
    if (!transition.actor.startsWith('dispatcher:')) return;
    const name = transition.actor.slice('dispatcher:'.length);
    const view = this.view(name);
    if (!view) return;
    const entry = dispatcherTransitionEntry(transition, view, this.host.redact);
    if (!entry) return;
    let log = this.logs.get(name);
    if (!log) {
      log = this.host.log.child({ dispatcher: name });
      this.logs.set(name, log);
    }
    log.log(entry.level, entry.message, entry.fields);
  }
}
