/**
 * What the machines know of a failure: plain, serializable data (it lands in snapshots, logs and the
 * inspector, so it never holds the error object itself, nor anything secret).
 */
export interface FailureInfo {
  /**
   * `transient`: the server is down, restarting, unreachable or overloaded; retrying will help.
   * `permanent`: retrying the same thing will not help until an operator changes something
   * (credentials, namespace, TLS, address).
   */
  readonly kind: 'transient' | 'permanent';
  /** A stable, upper-case code: a gRPC status name (`UNAVAILABLE`, `NOT_FOUND`, …) or one of ours. */
  readonly code: string;
  /** The gRPC status number when there is one. */
  readonly grpcCode?: number;
  /** The error's name (`ServiceError`, `TransportError`, …). */
  readonly name: string;
  /** A one-line, secret-free description. */
  readonly message: string;
}

/** An error that carries an already classified {@link FailureInfo} (what the `src/` actors reject with). */
export interface ClassifiedError {
  readonly failure: FailureInfo;
}

function isClassified(error: unknown): error is ClassifiedError {
  if (typeof error !== 'object' || error === null || !('failure' in error)) return false;
  const failure = (error as { failure: unknown }).failure;
  return (
    typeof failure === 'object' &&
    failure !== null &&
    'kind' in failure &&
    ((failure as { kind: unknown }).kind === 'transient' ||
      (failure as { kind: unknown }).kind === 'permanent')
  );
}

/**
 * The {@link FailureInfo} of whatever an actor rejected with. Errors that were not classified by the
 * runtime count as transient: an unknown failure is retried (with backoff), never silently dropped.
 */
export function toFailureInfo(error: unknown): FailureInfo {
  if (isClassified(error)) return error.failure;
  if (error instanceof Error) {
    return { kind: 'transient', code: 'UNKNOWN', name: error.name, message: error.message };
  }
  return { kind: 'transient', code: 'UNKNOWN', name: 'Error', message: String(error) };
}
