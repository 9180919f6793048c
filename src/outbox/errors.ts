/**
 * The outbox's errors: each has a `name`, a `code`, structured fields, a message that states the rule, the
 * value received and the fix, and an `isX` guard.
 */

import { brand, hasBrand } from '../errors.js';

/** Sets the structured fields (all but `cause`, which goes to `Error`'s own). */
function init(error: Error, fields: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'cause') Object.defineProperty(error, key, { value, enumerable: true });
  }
}

const causeOf = (fields: { cause?: unknown }) =>
  fields.cause === undefined ? undefined : { cause: fields.cause };

/** An intent or an option was refused at `enqueue`/`createOutbox`: nothing was stored. */
export class OutboxInputError extends TypeError {
  override readonly name = 'OutboxInputError';
  readonly code = 'OUTBOX_INVALID_INPUT' as const;
  /** The field at fault, as a path (`args[0].when`, `options.memo`). */
  declare readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    init(this, { field });
  }
}

/** The database has no outbox schema, or another version of it than this library's. */
export class OutboxSchemaError extends Error {
  override readonly name = 'OutboxSchemaError';
  readonly code = 'OUTBOX_SCHEMA' as const;
  /** The version found (undefined: no outbox table at all). */
  declare readonly found: number | undefined;
  /** The version this library needs. */
  declare readonly expected: number;
  /** The migration to apply, by name. */
  declare readonly migration: string;

  constructor(
    message: string,
    fields: { found: number | undefined; expected: number; migration: string; cause?: unknown },
  ) {
    super(message, causeOf(fields));
    init(this, fields);
  }
}

/** The outbox's database could not be reached (or failed): the intent was NOT stored. Retry, or report it. */
export class OutboxUnavailableError extends Error {
  override readonly name = 'OutboxUnavailableError';
  readonly code = 'OUTBOX_UNAVAILABLE' as const;
  /** What was being done: `enqueue`, `status`, `claim`, … */
  declare readonly operation: string;

  constructor(message: string, fields: { operation: string; cause?: unknown }) {
    super(message, causeOf(fields));
    init(this, fields);
  }
}

/** The intent id was enqueued before for another workflow: ids must identify one start. */
export class OutboxIntentConflictError extends Error {
  override readonly name = 'OutboxIntentConflictError';
  readonly code = 'OUTBOX_INTENT_CONFLICT' as const;
  declare readonly id: string;

  constructor(message: string, id: string) {
    super(message);
    init(this, { id });
  }
}

/** `outbox.wait(id)` passed its timeout with the intent still pending (it stays in the outbox). */
export class OutboxWaitTimeoutError extends Error {
  override readonly name = 'OutboxWaitTimeoutError';
  readonly code = 'OUTBOX_WAIT_TIMEOUT' as const;
  declare readonly id: string;
  declare readonly timeoutMs: number;

  constructor(message: string, fields: { id: string; timeoutMs: number }) {
    super(message);
    init(this, fields);
  }
}

for (const [type, name] of [
  [OutboxInputError, 'OutboxInputError'],
  [OutboxSchemaError, 'OutboxSchemaError'],
  [OutboxUnavailableError, 'OutboxUnavailableError'],
  [OutboxIntentConflictError, 'OutboxIntentConflictError'],
  [OutboxWaitTimeoutError, 'OutboxWaitTimeoutError'],
] as const) {
  brand(type, name);
}

// Brands, not `instanceof`: an error of the package's other copy (its CommonJS or ESM build) is recognised.
export const isOutboxInputError = (error: unknown): error is OutboxInputError =>
  hasBrand(error, 'OutboxInputError');
export const isOutboxSchemaError = (error: unknown): error is OutboxSchemaError =>
  hasBrand(error, 'OutboxSchemaError');
export const isOutboxUnavailableError = (error: unknown): error is OutboxUnavailableError =>
  hasBrand(error, 'OutboxUnavailableError');
export const isOutboxIntentConflictError = (error: unknown): error is OutboxIntentConflictError =>
  hasBrand(error, 'OutboxIntentConflictError');
export const isOutboxWaitTimeoutError = (error: unknown): error is OutboxWaitTimeoutError =>
  hasBrand(error, 'OutboxWaitTimeoutError');
