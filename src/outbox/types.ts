/** A workflow start to make durable: what `outbox.enqueue` accepts. */
export interface StartIntent {
  /**
   * The intent's identity, and the request id of its start: enqueuing the same id again is a no-op, and
   * every dispatch attempt of it carries this request id, so it starts at most one run.
   * @default a new UUID
   */
  readonly id?: string;
  readonly workflowType: string;
  readonly workflowId: string;
  readonly taskQueue: string;
  /** The workflow's arguments: JSON values only (no Date, BigInt, Map, function, cycle, undefined). @default [] */
  readonly args?: readonly unknown[];
  /** More start options, JSON values only. */
  readonly options?: IntentStartOptions;
}

/** The start options an intent may carry (JSON-serializable ones of `WorkflowStartOptions`). */
export interface IntentStartOptions {
  readonly memo?: Record<string, unknown>;
  readonly retry?: {
    readonly initialInterval?: string | number;
    readonly backoffCoefficient?: number;
    readonly maximumInterval?: string | number;
    readonly maximumAttempts?: number;
    readonly nonRetryableErrorTypes?: readonly string[];
  };
  readonly workflowExecutionTimeout?: string | number;
  readonly workflowRunTimeout?: string | number;
  readonly workflowTaskTimeout?: string | number;
  readonly startDelay?: string | number;
  readonly cronSchedule?: string;
  readonly workflowIdReusePolicy?: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' | 'REJECT_DUPLICATE';
  readonly workflowIdConflictPolicy?: 'FAIL' | 'USE_EXISTING' | 'TERMINATE_EXISTING';
}

/** Why an intent was parked as a dead letter (never retried). */
export type IntentFailureReason =
  /** The workflow id is taken by an execution this intent did not start (another request id). */
  | 'ALREADY_STARTED'
  /** The server refused the payload as too large (its blob size limit). */
  | 'PAYLOAD_TOO_LARGE'
  /** The arguments could not be converted to Temporal payloads (or the stored payload is unreadable). */
  | 'ARGS_NOT_SERIALIZABLE'
  /** The server refused the start as invalid (INVALID_ARGUMENT for another reason: bad options). */
  | 'INVALID_REQUEST';

/** What an intent has become, as `outbox.status(id)` reads it back. */
export type IntentStatus =
  | {
      readonly status: 'pending';
      readonly id: string;
      readonly workflowId: string;
      /** Dispatch attempts so far. */
      readonly attempts: number;
      readonly lastError: string | undefined;
      readonly createdAt: Date;
    }
  | {
      readonly status: 'started';
      readonly id: string;
      readonly workflowId: string;
      readonly runId: string;
      readonly attempts: number;
      readonly createdAt: Date;
      readonly finishedAt: Date;
    }
  | {
      readonly status: 'failed';
      readonly id: string;
      readonly workflowId: string;
      readonly reason: IntentFailureReason;
      readonly message: string;
      readonly attempts: number;
      readonly createdAt: Date;
      readonly finishedAt: Date;
    };

/** An intent as stored: validated, its payload serialized. */
export interface StoredIntent {
  readonly id: string;
  readonly workflowType: string;
  readonly workflowId: string;
  readonly taskQueue: string;
  /** `JSON.stringify({ args, options })`. */
  readonly payload: string;
}

/** An intent claimed by a dispatcher (leased to it until the lease expires). */
export interface ClaimedIntent extends StoredIntent {
  /** Dispatch attempts including this one. */
  readonly attempts: number;
}

/** Counts of the outbox, read from the store. */
export interface OutboxDepth {
  readonly pending: number;
  readonly started: number;
  readonly failed: number;
  /** Age of the oldest pending intent, 0 when none. */
  readonly oldestPendingAgeMs: number;
}
