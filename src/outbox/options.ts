import { type Duration, msToNumber } from '@temporalio/common/lib/time.js';
import type { PGliteLike } from './embedded-store.js';
import { OutboxInputError } from './errors.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './intent.js';
import type { PgPoolLike } from './postgres-store.js';
import { isSafeIdentifier } from './sql.js';
import type { OutboxStore } from './store.js';

/** A logger of Temporal's `(message, meta)` shape; a pino logger fits through `pino.child(...)` adapters. */
export interface OutboxLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

/** Where the outbox keeps its intents. */
export type OutboxStoreOption =
  /** Your PostgreSQL, through your `pg` Pool: shared by every replica. */
  | { readonly pool: PgPoolLike; readonly schema?: string; readonly migrate?: boolean }
  /** An embedded PGlite data directory, for one process with no database server. */
  | { readonly path: string; readonly schema?: string }
  /** Your own PGlite instance (your tables and the outbox in one database; you close it). */
  | { readonly pglite: PGliteLike; readonly schema?: string }
  /** A store of your own (tests, other databases). */
  | OutboxStore;

/** Options of `createOutbox`, all optional but `supervisor` and `creator`. */
export interface OutboxOptions {
  /** Where intents are kept. @default { path: '.temporal-supervisor/outbox' } (embedded) */
  store?: OutboxStoreOption;
  /** The outbox's name in logs, metrics and the snapshot. @default 'outbox' */
  name?: string;
  /** How long a claimed intent is this replica's; a dead replica's intents are due again after it. @default 30 s */
  leaseTime?: Duration;
  /** Deadline of one start. Must be well under `leaseTime`. @default 10 s */
  dispatchTimeout?: Duration;
  /** Poll for due intents this often when nothing woke the dispatcher (NOTIFY and local enqueues wake it at once). @default 5 s */
  pollInterval?: Duration;
  /** Intents claimed at a time (memory is bounded by one batch). @default 100 */
  batchSize?: number;
  /** Starts in flight at once within a batch. @default 10 */
  concurrency?: number;
  /** Backoff of one intent's retries after a failure that is neither permanent nor an outage. @default 1 s doubling to 60 s */
  retry?: { initialDelay?: Duration; maxDelay?: Duration };
  /**
   * Backoff of the whole dispatcher after a failed drain (store down, Temporal gone), and `maxFailures`:
   * failed drains in a row after which it gives up (`givenUp`: liveness fails; see `significant`).
   * @default 500 ms doubling to 30 s, never giving up
   */
  drainRetry?: { initialDelay?: Duration; maxDelay?: Duration; maxFailures?: number };
  /**
   * A significant dispatcher (OTP's significant child), as `workers.<name>.significant`: when it gives up
   * (`drainRetry.maxFailures`), the supervisor's `escalation` policy applies (fail liveness, stop, or exit).
   * @default false
   */
  significant?: boolean;
  /** Largest args + options, as JSON, that `enqueue` accepts. @default 2 MiB (the server's default blob limit) */
  maxPayloadBytes?: number;
  /** `wait()` reads the status this often when no local dispatch settles it first. @default 250 ms */
  waitPollInterval?: Duration;
  /** Receives the outbox's logs (`(message, meta)`, as Temporal's and the supervisor's). @default none */
  logger?: OutboxLogger;
  /** @internal Test hooks. */
  testHooks?: { afterStartSent?: (id: string) => void | Promise<void> };
}

export interface ResolvedOutboxOptions {
  readonly store: OutboxStoreOption;
  readonly schema: string;
  readonly name: string;
  readonly leaseMs: number;
  readonly dispatchTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly drainRetryBaseMs: number;
  readonly drainRetryMaxMs: number;
  /** Undefined: never gives up. */
  readonly drainMaxFailures: number | undefined;
  readonly significant: boolean;
  readonly maxPayloadBytes: number;
  readonly waitPollIntervalMs: number;
}

export const OUTBOX_DEFAULTS = {
  leaseMs: 30_000,
  dispatchTimeoutMs: 10_000,
  pollIntervalMs: 5_000,
  batchSize: 100,
  concurrency: 10,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  drainRetryBaseMs: 500,
  drainRetryMaxMs: 30_000,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  waitPollIntervalMs: 250,
} as const;

function duration(value: Duration | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  let result: number;
  try {
    result = msToNumber(value);
  } catch {
    result = Number.NaN;
  }
  if (!(Number.isFinite(result) && result > 0)) {
    throw new OutboxInputError(
      `Expected \`${field}\` to be a positive duration ('10s', 500), got ${JSON.stringify(value)}.`,
      field,
    );
  }
  return result;
}

function count(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value > 0)) {
    throw new OutboxInputError(
      `Expected \`${field}\` to be a positive integer, got ${JSON.stringify(value)}.`,
      field,
    );
  }
  return value;
}

function flag(value: boolean | undefined, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new OutboxInputError(
      `Expected \`${field}\` to be true or false, got ${JSON.stringify(value)}.`,
      field,
    );
  }
  return value;
}

/** Defaults applied, durations in ms, every bad value refused with the field named. */
export function resolveOutboxOptions(options: OutboxOptions): ResolvedOutboxOptions {
  const store = options.store ?? { path: '.temporal-supervisor/outbox' };
  const schema =
    ('schema' in store && typeof store.schema === 'string' ? store.schema : undefined) ??
    'temporal_supervisor';
  if (!isSafeIdentifier(schema)) {
    throw new OutboxInputError(
      `Expected \`store.schema\` to be a lowercase SQL identifier (letters, digits, _; at most 48), got ${JSON.stringify(schema)}.`,
      'store.schema',
    );
  }
  const name = options.name ?? 'outbox';
  if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) {
    throw new OutboxInputError(
      `Expected \`name\` to be 1–64 word characters, got ${JSON.stringify(name)}.`,
      'name',
    );
  }
  const resolved: ResolvedOutboxOptions = {
    store,
    schema,
    name,
    leaseMs: duration(options.leaseTime, 'leaseTime', OUTBOX_DEFAULTS.leaseMs),
    dispatchTimeoutMs: duration(
      options.dispatchTimeout,
      'dispatchTimeout',
      OUTBOX_DEFAULTS.dispatchTimeoutMs,
    ),
    pollIntervalMs: duration(options.pollInterval, 'pollInterval', OUTBOX_DEFAULTS.pollIntervalMs),
    batchSize: count(options.batchSize, 'batchSize', OUTBOX_DEFAULTS.batchSize),
    concurrency: count(options.concurrency, 'concurrency', OUTBOX_DEFAULTS.concurrency),
    retryBaseMs: duration(options.retry?.initialDelay, 'retry.initialDelay', OUTBOX_DEFAULTS.retryBaseMs),
    retryMaxMs: duration(options.retry?.maxDelay, 'retry.maxDelay', OUTBOX_DEFAULTS.retryMaxMs),
    drainRetryBaseMs: duration(
      options.drainRetry?.initialDelay,
      'drainRetry.initialDelay',
      OUTBOX_DEFAULTS.drainRetryBaseMs,
    ),
    drainRetryMaxMs: duration(
      options.drainRetry?.maxDelay,
      'drainRetry.maxDelay',
      OUTBOX_DEFAULTS.drainRetryMaxMs,
    ),
    drainMaxFailures:
      options.drainRetry?.maxFailures === undefined
        ? undefined
        : count(options.drainRetry.maxFailures, 'drainRetry.maxFailures', 0),
    significant: flag(options.significant, 'significant'),
    maxPayloadBytes: count(options.maxPayloadBytes, 'maxPayloadBytes', OUTBOX_DEFAULTS.maxPayloadBytes),
    waitPollIntervalMs: duration(
      options.waitPollInterval,
      'waitPollInterval',
      OUTBOX_DEFAULTS.waitPollIntervalMs,
    ),
  };
  if (resolved.dispatchTimeoutMs >= resolved.leaseMs) {
    throw new OutboxInputError(
      `Expected \`dispatchTimeout\` (${resolved.dispatchTimeoutMs} ms) to be shorter than \`leaseTime\` (${resolved.leaseMs} ms): a start must settle before its lease expires.`,
      'dispatchTimeout',
    );
  }
  return resolved;
}
