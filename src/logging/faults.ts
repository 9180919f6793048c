/**
 * Faults in user code (a logger, a listener, an inspector observer, a connector, a metrics hook) are reported, never
 * thrown back into the supervisor: the first of each kind at once, then at most one report a minute per kind,
 * with the count of those left out. Where they go depends on what failed: a logger's own faults cannot be logged
 * through it, so they go to `process.emitWarning`; the others go to the supervisor's logger.
 */

/** How often a fault of one kind is reported again while it keeps happening. */
export const FAULT_REPORT_INTERVAL_MS = 60_000;

export class FaultReporter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly sink: (kind: string, error: unknown, suppressed: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reports a fault of `kind` unless one was reported within the interval; never throws. */
  report(kind: string, error: unknown): void {
    const now = this.now();
    const previous = this.last.get(kind);
    if (previous && now - previous.at < FAULT_REPORT_INTERVAL_MS) {
      previous.suppressed++;
      return;
    }
    this.last.set(kind, { at: now, suppressed: 0 });
    try {
      this.sink(kind, error, previous?.suppressed ?? 0);
    } catch {
      // The sink itself failed (a warning listener that throws): nothing more can be done without risk.
    }
  }
}

/** A one-line description of a thrown value, whatever it is (even one whose `message` getter throws). */
export function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'an unprintable value';
  }
}

/** Calls `then` on a result that looks like a promise, so that its rejection is reported, not unhandled. */
export function catchAsync(result: unknown, onError: (error: unknown) => void): void {
  if (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as { then?: unknown }).then === 'function'
  ) {
    try {
      (result as PromiseLike<unknown>).then(undefined, onError);
    } catch (error) {
      onError(error);
    }
  }
}
