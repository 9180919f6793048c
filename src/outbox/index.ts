export { classifyDispatchError, type DispatchVerdict, intentRetryDelayMs } from './classify.js';
export {
  type DispatchCounts,
  Dispatcher,
  type DispatcherSettings,
  DispatchPausedError,
  dispatcherMachineFor,
} from './dispatcher.js';
export { type EmbeddedStoreOptions, embeddedStore, type PGliteLike } from './embedded-store.js';
export {
  isOutboxInputError,
  isOutboxIntentConflictError,
  isOutboxSchemaError,
  isOutboxUnavailableError,
  isOutboxWaitTimeoutError,
  OutboxInputError,
  OutboxIntentConflictError,
  OutboxSchemaError,
  OutboxUnavailableError,
  OutboxWaitTimeoutError,
} from './errors.js';
export { DEFAULT_MAX_PAYLOAD_BYTES } from './intent.js';
export { type OutboxMetricsOptions, type RegisteredOutboxMetrics, registerOutboxMetrics } from './metrics.js';
export {
  OUTBOX_MIGRATIONS,
  OUTBOX_SCHEMA_VERSION,
  type OutboxMigration,
  outboxMigrationSql,
} from './migrations.js';
export { OUTBOX_DEFAULTS, type OutboxLogger, type OutboxOptions, type OutboxStoreOption } from './options.js';
export {
  type CreateOutboxOptions,
  createOutbox,
  Outbox,
  type OutboxMetrics,
  type OutboxSnapshot,
} from './outbox.js';
export { migrateOutbox, type PgClientLike, type PgPoolLike, postgresStore } from './postgres-store.js';
export type { EnqueueResult, OutboxStore } from './store.js';
export type {
  ClaimedIntent,
  IntentFailureReason,
  IntentStartOptions,
  IntentStatus,
  OutboxDepth,
  StartIntent,
  StoredIntent,
} from './types.js';
