import type { ClaimedIntent, IntentFailureReason, IntentStatus, OutboxDepth, StoredIntent } from './types.js';

/** What `enqueue` did: stored a new intent, or found the same one already there (idempotent). */
export interface EnqueueResult {
  readonly id: string;
  readonly duplicate: boolean;
}

/**
 * Where intents live. Every method either does its work or rejects with an `OutboxUnavailableError`
 * (the database failed) or an `OutboxSchemaError` (its schema is not ours); none loses an intent silently.
 * Times are the database's (`now()`), so that replicas on several hosts agree on leases.
 */
export interface OutboxStore {
  readonly kind: 'postgres' | 'embedded';
  /** Checks (or, when configured, applies) the schema; for a store only this process uses, frees old leases. */
  open(): Promise<void>;
  /** Stores an intent, in the caller's transaction `tx` when given (a `pg` client or a PGlite transaction). */
  enqueue(intent: StoredIntent, tx?: unknown): Promise<EnqueueResult>;
  /** Leases up to `limit` due intents to `owner` for `leaseMs` (skipping those another owner holds). */
  claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedIntent[]>;
  recordStarted(id: string, runId: string): Promise<void>;
  recordFailed(id: string, reason: IntentFailureReason, message: string): Promise<void>;
  /** Gives a claimed intent back, due again in `retryInMs` (a transient failure, or a stop). */
  release(id: string, owner: string, retryInMs: number, error: string | undefined): Promise<void>;
  /** Gives back every intent `owner` still holds (at stop), due at once for another dispatcher. */
  releaseOwner(owner: string): Promise<void>;
  status(id: string): Promise<IntentStatus | undefined>;
  depth(): Promise<OutboxDepth>;
  /** Milliseconds until the next pending intent is due (0: one is due now), undefined when none is pending. */
  nextDueInMs(): Promise<number | undefined>;
  /** Deletes finished intents (started, and failed when asked) older than `olderThanMs`; returns how many. */
  purge(olderThanMs: number, options: { readonly failed: boolean }): Promise<number>;
  /** Calls `onWake` when another transaction enqueued (NOTIFY); resolves to a stop function. */
  listen(onWake: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
