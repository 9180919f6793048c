import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Duration, msToNumber } from '@temporalio/common/lib/time.js';
import { type Actor, createActor, type InspectionEvent } from 'xstate';
import type { DispatcherState, dispatcherMachine } from '../../machines/dispatcher.machine.js';
import type { FailureInfo } from '../../machines/failure.js';
import type { Clock, Supervisor, WorkflowCreator } from '../index.js';
import { type DispatchCounts, Dispatcher, dispatcherMachineFor, type StartIntentFn } from './dispatcher.js';
import { embeddedStore } from './embedded-store.js';
import { OutboxInputError, OutboxWaitTimeoutError } from './errors.js';
import { toStoredIntent } from './intent.js';
import { type OutboxOptions, type ResolvedOutboxOptions, resolveOutboxOptions } from './options.js';
import { postgresStore } from './postgres-store.js';
import type { EnqueueResult, OutboxStore } from './store.js';
import type { IntentStatus, OutboxDepth, StartIntent } from './types.js';

/** Options of `createOutbox`: which supervisor and creator start the intents, and the outbox's own. */
export interface CreateOutboxOptions extends OutboxOptions {
  readonly supervisor: Supervisor;
  /** The name of a creator configured on the supervisor (`creators: { outbox: {} }`): it makes the starts. */
  readonly creator: string;
  /** @internal The dispatcher's timers (the supervisor's test clock in the model tests). */
  readonly clock?: Clock;
  /** @internal Observes the dispatcher actor (model tests). */
  readonly inspect?: (event: InspectionEvent) => void;
}

/** Plain, secret-free: what the outbox is doing. */
export interface OutboxSnapshot {
  readonly name: string;
  readonly store: 'postgres' | 'embedded';
  readonly state: DispatcherState;
  readonly connected: boolean;
  /** Drains that failed in a row, and the last failure. */
  readonly failures: number;
  readonly lastFailure: FailureInfo | undefined;
  /** Dispatch outcomes of this process since it started. */
  readonly outcomes: Readonly<Omit<DispatchCounts, 'failedByReason'>> & {
    readonly failedByReason: DispatchCounts['failedByReason'];
  };
  /** The store's counts when last read (by `metrics()`, or after each drain). */
  readonly depth: OutboxDepth | undefined;
}

/** `metrics()`: the snapshot with the store's counts read now. */
export interface OutboxMetrics extends OutboxSnapshot {
  readonly depth: OutboxDepth;
}

function isStore(value: unknown): value is OutboxStore {
  return (
    typeof (value as OutboxStore).claim === 'function' && typeof (value as OutboxStore).enqueue === 'function'
  );
}

function storeOf(options: ResolvedOutboxOptions): OutboxStore {
  const store = options.store;
  if (isStore(store)) return store;
  if ('pool' in store) {
    return postgresStore({
      pool: store.pool,
      schema: options.schema,
      migrate: store.migrate ?? false,
      listenRetryMs: 1000,
    });
  }
  if ('pglite' in store) return embeddedStore({ pglite: store.pglite, schema: options.schema });
  if ('path' in store && typeof store.path === 'string')
    return embeddedStore({ path: store.path, schema: options.schema });
  throw new OutboxInputError(
    'Expected `store` to be { pool } (a pg Pool), { path } or { pglite } (embedded), or an OutboxStore.',
    'store',
  );
}

/**
 * A durable outbox of workflow starts. `enqueue` stores an intent (in your transaction, when given) and
 * returns; the dispatcher starts it when Temporal serves, exactly once: the intent id is the start's request
 * id, which the server deduplicates, so a start retried after a crash or a lost answer gets its own run back.
 */
export class Outbox {
  readonly #store: OutboxStore;
  readonly #options: ResolvedOutboxOptions;
  readonly #dispatcher: Dispatcher;
  readonly #actor: Actor<typeof dispatcherMachine>;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #disposers: (() => unknown)[] = [];
  readonly #logger: OutboxOptions['logger'];
  #lastDepth: OutboxDepth | undefined;
  #stopped: Promise<void> | undefined;

  /** @internal Use `createOutbox`. */
  constructor(
    options: CreateOutboxOptions,
    resolved: ResolvedOutboxOptions,
    store: OutboxStore,
    creator: WorkflowCreator,
  ) {
    this.#options = resolved;
    this.#store = store;
    this.#logger = options.logger;
    const start: StartIntentFn = (intent, payload, timeoutMs) =>
      creator.start(
        intent.workflowType,
        {
          ...(payload.options as object),
          workflowId: intent.workflowId,
          taskQueue: intent.taskQueue,
          args: payload.args,
        },
        { requestId: intent.id, timeout: timeoutMs, failFast: true },
      );
    this.#dispatcher = new Dispatcher(
      store,
      start,
      {
        owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        batchSize: resolved.batchSize,
        concurrency: resolved.concurrency,
        leaseMs: resolved.leaseMs,
        dispatchTimeoutMs: resolved.dispatchTimeoutMs,
        retryBaseMs: resolved.retryBaseMs,
        retryMaxMs: resolved.retryMaxMs,
        settleTimeoutMs: resolved.dispatchTimeoutMs + 1000,
        afterStartSent: options.testHooks?.afterStartSent,
      },
      (_status, id, failure) => {
        if (failure)
          this.#log('warn', 'Outbox intent failed permanently', {
            id,
            reason: failure.reason,
            message: failure.message,
          });
        this.#notify(id);
      },
    );
    this.#actor = createActor(
      dispatcherMachineFor(this.#dispatcher, () => this.#refreshDepth()),
      {
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.inspect ? { inspect: options.inspect } : {}),
        input: {
          name: resolved.name,
          pollIntervalMs: resolved.pollIntervalMs,
          retryBaseMs: resolved.drainRetryBaseMs,
          retryMaxMs: resolved.drainRetryMaxMs,
        },
      },
    );
    const serving = (state: string) => state === 'connected' || state === 'degraded';
    let connectionId = 0;
    const tell = (state: string) =>
      this.#actor.send(
        serving(state)
          ? { type: 'CONNECTION_UP', connectionId: ++connectionId }
          : { type: 'CONNECTION_DOWN' },
      );
    const subscription = options.supervisor.onStateChange(({ from, to }) => {
      if (serving(from) !== serving(to)) tell(to);
    });
    this.#disposers.push(() => subscription.dispose());
    let previous: string | undefined;
    const watch = this.#actor.subscribe((snapshot) => {
      const state = String(snapshot.value);
      if (state === previous) return;
      this.#log('debug', 'Outbox dispatcher state changed', { from: previous, to: state });
      if (state === 'backoff') {
        this.#log('warn', 'Outbox drain failed; retrying', {
          failures: snapshot.context.failures,
          code: snapshot.context.lastFailure?.code,
          message: snapshot.context.lastFailure?.message,
        });
      }
      previous = state;
    });
    this.#disposers.push(() => watch.unsubscribe());
    this.#actor.start();
    if (serving(options.supervisor.state)) tell(options.supervisor.state);
  }

  /** @internal */
  async listen(): Promise<void> {
    const stop = await this.#store.listen(() => this.#actor.send({ type: 'WAKE' }));
    this.#disposers.push(stop);
  }

  get name(): string {
    return this.#options.name;
  }

  /** The dispatcher's state (see docs/outbox.md). */
  get state(): DispatcherState {
    return this.#actor.getSnapshot().value as DispatcherState;
  }

  /**
   * Stores a start intent and returns at once (the dispatcher starts it when Temporal serves). With `tx`
   * (a `pg` client inside your BEGIN … COMMIT, or a PGlite transaction) the intent commits or rolls back
   * with your own rows. The same `id` again is a no-op (`duplicate: true`).
   *
   * @throws {OutboxInputError} a bad field (named), args that are not JSON, a payload over `maxPayloadBytes`.
   * @throws {OutboxUnavailableError} the database failed: the intent was NOT stored.
   * @throws {OutboxIntentConflictError} the id was enqueued before for another workflow.
   */
  async enqueue(intent: StartIntent, { tx }: { tx?: unknown } = {}): Promise<EnqueueResult> {
    if (this.#stopped)
      throw new OutboxInputError(`Outbox ${this.#options.name} is stopped: create a new one.`, 'outbox');
    const stored = toStoredIntent(intent, this.#options.maxPayloadBytes);
    const result = await this.#store.enqueue(stored, tx);
    // In a transaction the intent is not visible until the commit: NOTIFY (sent at commit) wakes us then.
    if (tx === undefined && !result.duplicate) this.#actor.send({ type: 'WAKE' });
    return result;
  }

  /** What the intent has become, or undefined when the store has no such id. */
  status(id: string): Promise<IntentStatus | undefined> {
    return this.#store.status(id);
  }

  /**
   * Waits until the intent is started or failed and returns its status.
   * @throws {OutboxWaitTimeoutError} when it is still pending after `timeout` (it stays in the outbox).
   */
  async wait(id: string, { timeout = '30s' }: { timeout?: Duration } = {}): Promise<IntentStatus> {
    const timeoutMs = msToNumber(timeout);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.#store.status(id);
      if (status === undefined)
        throw new OutboxInputError(`No intent with id ${JSON.stringify(id)} in the outbox.`, 'id');
      if (status.status !== 'pending') return status;
      const left = until - Date.now();
      if (left <= 0) {
        throw new OutboxWaitTimeoutError(
          `Intent ${JSON.stringify(id)} is still pending after ${timeoutMs} ms (attempts: ${status.attempts}); it stays in the outbox and will be started when Temporal serves.`,
          { id, timeoutMs },
        );
      }
      await this.#settledOrPoll(id, Math.min(left, this.#options.waitPollIntervalMs));
    }
  }

  /** The snapshot with the store's depth read now (pending, started, failed, oldest pending age). */
  async metrics(): Promise<OutboxMetrics> {
    const depth = await this.#store.depth();
    this.#lastDepth = depth;
    return { ...this.snapshot(), depth };
  }

  snapshot(): OutboxSnapshot {
    const s = this.#actor.getSnapshot();
    const c = this.#dispatcher.counts;
    return {
      name: this.#options.name,
      store: this.#store.kind,
      state: s.value as DispatcherState,
      connected: s.context.connected,
      failures: s.context.failures,
      lastFailure: s.context.lastFailure,
      outcomes: { ...c, failedByReason: { ...c.failedByReason } },
      depth: this.#lastDepth,
    };
  }

  /** Deletes started intents (and failed ones with `failed: true`) that finished more than `olderThan` ago. */
  purge({ olderThan, failed = false }: { olderThan: Duration; failed?: boolean }): Promise<number> {
    return this.#store.purge(msToNumber(olderThan), { failed });
  }

  /** Stops dispatching (starts in flight settle, bounded), stops listening, closes an embedded store. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      // STOP first, synchronously: no drain starts once stop() was called.
      this.#actor.send({ type: 'STOP' });
      for (const dispose of this.#disposers.splice(0))
        await Promise.resolve(dispose()).catch(() => undefined);
      if (this.#actor.getSnapshot().status !== 'done') {
        await new Promise<void>((resolve) => {
          const sub = this.#actor.subscribe((s) => {
            if (s.status !== 'done') return;
            sub.unsubscribe();
            resolve();
          });
        });
      }
      if (this.#store.kind === 'embedded') await this.#store.close();
    })();
    return this.#stopped;
  }

  /** @internal The dispatcher actor's snapshot (model tests). */
  dispatcherSnapshot(): unknown {
    return this.#actor.getSnapshot();
  }

  toJSON(): OutboxSnapshot {
    return this.snapshot();
  }

  #refreshDepth(): void {
    this.#store.depth().then(
      (depth) => {
        this.#lastDepth = depth;
      },
      () => undefined,
    );
  }

  #log(level: 'debug' | 'warn', message: string, meta: Record<string, unknown>): void {
    try {
      this.#logger?.[level](message, { outbox: this.#options.name, ...meta });
    } catch {
      // A logger that throws must not break dispatching.
    }
  }

  #notify(id: string): void {
    for (const wake of this.#waiters.get(id) ?? []) wake();
  }

  #settledOrPoll(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#waiters.get(id) ?? new Set();
      this.#waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }
}

/**
 * Creates an outbox and opens its store: checks the schema (or applies the migrations when asked; always
 * for the embedded store) and starts listening for NOTIFY.
 *
 * @throws {OutboxSchemaError} the PostgreSQL schema is missing or of another version (names the migration).
 * @throws {OutboxInputError} a bad option (named), or an unknown creator.
 */
export async function createOutbox(options: CreateOutboxOptions): Promise<Outbox> {
  const resolved = resolveOutboxOptions(options);
  let creator: WorkflowCreator;
  try {
    creator = options.supervisor.creator(options.creator);
  } catch (error) {
    throw new OutboxInputError(
      `Expected \`creator\` to name a configured creator: ${(error as Error).message}`,
      'creator',
    );
  }
  const store = storeOf(resolved);
  await store.open();
  const outbox = new Outbox(options, resolved, store, creator);
  try {
    await outbox.listen();
  } catch (error) {
    await outbox.stop();
    throw error;
  }
  return outbox;
}
