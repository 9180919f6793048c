import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Duration, msToNumber } from '@temporalio/common/lib/time.js';
import type { DispatcherState } from '../../machines/dispatcher.machine.js';
import type { DispatcherView, DispatcherWork } from '../children/dispatcher-actors.js';
import { isSupervisorOptionsError, type Supervisor, type WorkflowCreator } from '../index.js';
import type { AttachedDispatcher, DispatcherRegistry } from '../supervisor/dispatchers.js';
import { runtimeOf } from '../supervisor/internals.js';
import { type DispatchCounts, Dispatcher, type StartIntentFn } from './dispatcher.js';
import { embeddedStore } from './embedded-store.js';
import { OutboxInputError, OutboxWaitTimeoutError } from './errors.js';
import { toStoredIntent } from './intent.js';
import { type OutboxOptions, type ResolvedOutboxOptions, resolveOutboxOptions } from './options.js';
import { postgresStore } from './postgres-store.js';
import type { EnqueueResult, OutboxStore } from './store.js';
import type { IntentStatus, OutboxDepth, StartIntent } from './types.js';

/** Options of `createOutbox`: which supervisor and creator start the intents, and the outbox's own. */
export interface CreateOutboxOptions extends OutboxOptions {
  /**
   * The supervisor the dispatcher runs under: it becomes the supervisor's child `dispatcher:<name>`, told
   * of the connection as workers and creators are, shown in its snapshot, logs, metrics and inspector, and
   * stopped by `supervisor.stop()` before the creators.
   */
  readonly supervisor: Supervisor;
  /** The name of a creator configured on the supervisor (`creators: { outbox: {} }`): it makes the starts. */
  readonly creator: string;
}

/** Plain, secret-free: what the outbox is doing (also `supervisor.snapshot().outboxes[name]`). */
export interface OutboxSnapshot extends DispatcherView {
  readonly store: 'postgres' | 'embedded';
  /** Dispatch outcomes of this process since it started. */
  readonly outcomes: Readonly<Omit<DispatchCounts, 'failedByReason'>> & {
    readonly failedByReason: DispatchCounts['failedByReason'];
  };
  /** The store's counts when last read (by `metrics()`, after each drain and enqueue, at most 1 s old while read). */
  readonly depth: OutboxDepth | undefined;
}

/** `metrics()`: the snapshot with the store's counts read now. */
export interface OutboxMetrics extends OutboxSnapshot {
  readonly depth: OutboxDepth;
}

/** A depth read at most this long ago is fresh enough for the snapshot (a read is started when older). */
const DEPTH_FRESH_MS = 1_000;

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
  readonly #child: AttachedDispatcher;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #disposers: (() => unknown)[] = [];
  readonly #logger: OutboxOptions['logger'];
  #lastDepth: OutboxDepth | undefined;
  #depthReadAt = Number.NEGATIVE_INFINITY;
  #depthReading: Promise<unknown> | undefined;
  #stopped: Promise<void> | undefined;

  /** @internal Use `createOutbox`. */
  constructor(
    options: CreateOutboxOptions,
    resolved: ResolvedOutboxOptions,
    store: OutboxStore,
    creator: WorkflowCreator,
    dispatchers: DispatcherRegistry,
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
    const work: DispatcherWork = {
      drain: async (signal) => {
        const output = await this.#dispatcher.drain(signal);
        this.#refreshDepth();
        return output;
      },
      settle: () => this.#dispatcher.settle(),
      settleTimeoutMs: this.#dispatcher.settleTimeoutMs,
      significant: resolved.significant,
      view: () => {
        if (Date.now() - this.#depthReadAt > DEPTH_FRESH_MS) this.#refreshDepth();
        return this.#outboxView();
      },
    };
    this.#child = dispatchers.attach(
      {
        name: resolved.name,
        pollIntervalMs: resolved.pollIntervalMs,
        retryBaseMs: resolved.drainRetryBaseMs,
        retryMaxMs: resolved.drainRetryMaxMs,
        maxFailures: resolved.drainMaxFailures,
      },
      work,
    );
  }

  /** @internal */
  async listen(): Promise<void> {
    const stop = await this.#store.listen(() => this.#child.send({ type: 'WAKE' }));
    this.#disposers.push(stop);
  }

  get name(): string {
    return this.#options.name;
  }

  /** The dispatcher's state (see docs/outbox.md). */
  get state(): DispatcherState {
    const snapshot = this.#child.snapshot();
    return !snapshot || snapshot.status === 'done' ? 'stopped' : (snapshot.value as DispatcherState);
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
    if (tx === undefined && !result.duplicate) this.#child.send({ type: 'WAKE' });
    if (!result.duplicate && Date.now() - this.#depthReadAt > DEPTH_FRESH_MS) this.#refreshDepth();
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
    this.#depthReadAt = Date.now();
    return { ...this.snapshot(), depth };
  }

  snapshot(): OutboxSnapshot {
    const context = this.#child.snapshot()?.context;
    return {
      ...this.#outboxView(),
      state: this.state,
      connected: context?.connected ?? false,
      failures: context?.failures ?? 0,
      lastFailure: context?.lastFailure,
    };
  }

  #outboxView() {
    const c = this.#dispatcher.counts;
    return {
      name: this.#options.name,
      store: this.#store.kind,
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
      this.#child.send({ type: 'STOP' });
      for (const dispose of this.#disposers.splice(0))
        await Promise.resolve(dispose()).catch(() => undefined);
      await this.#child.stopped();
      if (this.#store.kind === 'embedded') await this.#store.close();
    })();
    return this.#stopped;
  }

  /** @internal The dispatcher actor's snapshot (model tests). */
  dispatcherSnapshot(): unknown {
    return this.#child.snapshot();
  }

  toJSON(): OutboxSnapshot {
    return this.snapshot();
  }

  /** Reads the store's counts in the background (one read at a time), for the snapshot. */
  #refreshDepth(): void {
    if (this.#depthReading || this.#stopped) return;
    this.#depthReadAt = Date.now();
    this.#depthReading = this.#store
      .depth()
      .then(
        (depth) => {
          this.#lastDepth = depth;
        },
        () => undefined,
      )
      .finally(() => {
        this.#depthReading = undefined;
      });
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
/** The registry's refusal as the outbox's typed error (`name` or `supervisor`). */
function attachError(error: unknown): unknown {
  if (!isSupervisorOptionsError(error)) return error;
  return new OutboxInputError(error.message, error.field === 'name' ? 'name' : 'supervisor');
}

function dispatchersOf(supervisor: Supervisor): DispatcherRegistry {
  try {
    return runtimeOf(supervisor).dispatchers;
  } catch (error) {
    throw new OutboxInputError(
      `Expected \`supervisor\` to be made by createSupervisor(): ${(error as Error).message}`,
      'supervisor',
    );
  }
}

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
  const dispatchers = dispatchersOf(options.supervisor);
  try {
    dispatchers.assertAttachable(resolved.name); // before the store is opened: nothing to undo
  } catch (error) {
    throw attachError(error);
  }
  const store = storeOf(resolved);
  await store.open();
  let outbox: Outbox;
  try {
    outbox = new Outbox(options, resolved, store, creator, dispatchers);
  } catch (error) {
    if (store.kind === 'embedded') await store.close().catch(() => undefined);
    throw attachError(error);
  }
  try {
    await outbox.listen();
  } catch (error) {
    await outbox.stop();
    throw error;
  }
  return outbox;
}
