/**
 * The outbox's errors: each has a `code`, a message that states the rule, the value received and the fix,
 * and an `isX` guard.
 */

/** An intent or an option was refused at `enqueue`/`createOutbox`: nothing was stored. */
export class OutboxInputError extends TypeError {
  override readonly name = 'OutboxInputError';
  readonly code = 'OUTBOX_INVALID_INPUT' as const;
  /** The field at fault, as a path (`args[0].when`, `options.memo`). */
  readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}

export function isOutboxInputError(error: unknown): error is OutboxInputError {
  return error instanceof OutboxInputError;
}

/** The database has no outbox schema, or another version of it than this library's. */
export class OutboxSchemaError extends Error {
  override readonly name = 'OutboxSchemaError';
  readonly code = 'OUTBOX_SCHEMA' as const;
  /** The version found (undefined: no outbox table at all) and the one this library needs. */
  readonly found: number | undefined;
  readonly expected: number;
  /** The migration to apply, by name. */
  readonly migration: string;

  constructor(
    message: string,
    fields: { found: number | undefined; expected: number; migration: string; cause?: unknown },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.found = fields.found;
    this.expected = fields.expected;
    this.migration = fields.migration;
  }
}

export function isOutboxSchemaError(error: unknown): error is OutboxSchemaError {
  return error instanceof OutboxSchemaError;
}

/** The outbox's database could not be reached (or failed): the intent was NOT stored. Retry, or report it. */
export class OutboxUnavailableError extends Error {
  override readonly name = 'OutboxUnavailableError';
  readonly code = 'OUTBOX_UNAVAILABLE' as const;
  /** What was being done: `enqueue`, `status`, `claim`, … */
  readonly operation: string;

  constructor(message: string, fields: { operation: string; cause?: unknown }) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.operation = fields.operation;
  }
}

export function isOutboxUnavailableError(error: unknown): error is OutboxUnavailableError {
  return error instanceof OutboxUnavailableError;
}

/** The intent id was enqueued before for another workflow: ids must identify one start. */
export class OutboxIntentConflictError extends Error {
  override readonly name = 'OutboxIntentConflictError';
  readonly code = 'OUTBOX_INTENT_CONFLICT' as const;
  readonly id: string;

  constructor(message: string, id: string) {
    super(message);
    this.id = id;
  }
}

export function isOutboxIntentConflictError(error: unknown): error is OutboxIntentConflictError {
  return error instanceof OutboxIntentConflictError;
}

/** `outbox.wait(id)` passed its timeout with the intent still pending (it stays in the outbox). */
export class OutboxWaitTimeoutError extends Error {
  override readonly name = 'OutboxWaitTimeoutError';
  readonly code = 'OUTBOX_WAIT_TIMEOUT' as const;
  readonly id: string;
  readonly timeoutMs: number;

  constructor(message: string, fields: { id: string; timeoutMs: number }) {
    super(message);
    this.id = fields.id;
    this.timeoutMs = fields.timeoutMs;
  }
}
