/**
 * The options of one call (`withClient`, `getClient`, a creator's `start`, `waitFor`), checked when the call is
 * made: a bad one rejects that call with a `SupervisorOptionsError` naming the field, never a bare TypeError and
 * never a silently wrong deadline.
 */
import { SupervisorOptionsError } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import { MAX_TIMER_MS } from '../runtime/clock.js';
import type { TimeBound } from '../runtime/timers.js';
import { type Duration, durationMs } from '../temporal/duration.js';
import { show } from './check.js';

function refuse(field: string, expected: string, value: unknown, fix: string): never {
  throw new SupervisorOptionsError(
    field,
    `Invalid call option \`${field}\`: expected ${expected}, received ${show(value)}. ${fix}`,
  );
}

/** A relative time bound of a call, in ms: finite, at least 0, at most Node's longest timer. */
export function callDuration(field: string, value: Duration): number {
  const ms = durationMs(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMER_MS) {
    refuse(
      field,
      `a duration from 0 ms to ${MAX_TIMER_MS} ms (~24.8 days): milliseconds as a number, or a string such as '5s'`,
      value,
      `Pass e.g. \`${field}: '5s'\`, or leave it out for the default.`,
    );
  }
  return ms;
}

/** The absolute deadline (epoch ms on `clock`) of a request, `defaultMs` from now when it gives none. */
export function deadlineOf(clock: Clock, bound: TimeBound, defaultMs: number): number {
  if (bound === null || typeof bound !== 'object') {
    refuse('options', 'an object of call options', bound, 'Pass e.g. `{ timeout: "5s" }`, or nothing.');
  }
  const { deadline, timeout } = bound;
  if (deadline !== undefined) {
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      refuse(
        'deadline',
        'a valid Date, or epoch milliseconds on the supervisor’s clock',
        deadline,
        'Pass e.g. `deadline: Date.now() + 5_000`, or `timeout: "5s"` for a relative bound.',
      );
    }
    return at;
  }
  return clock.now() + (timeout === undefined ? defaultMs : callDuration('timeout', timeout));
}

/** An optional boolean call option. */
export function callBoolean(field: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    refuse(field, 'true or false', value, `Pass \`${field}: true\`, or leave it out for the default.`);
  }
  return value as boolean | undefined;
}

/** An optional AbortSignal call option. */
export function callSignal(value: unknown): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    refuse(
      'signal',
      'an AbortSignal',
      value,
      'Pass e.g. `signal: AbortSignal.timeout(5_000)`, or leave it out.',
    );
  }
  return value as AbortSignal | undefined;
}

/** A creator's `requestId`: a non-empty string of printable characters, at most 255 long (the server's limit). */
export function callRequestId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 255 ||
    ![...value].every((char) => char >= ' ')
  ) {
    refuse(
      'requestId',
      'a non-empty string of at most 255 printable characters (an empty one would disable exactly-once)',
      value,
      'Pass the `requestId` of an earlier call (from its error’s `request`), or leave it out for a new UUID.',
    );
  }
  return value;
}

/** The checked options of a call: its deadline, and whether it fails fast. */
export function resolveCall(
  clock: Clock,
  options: TimeBound & { failFast?: unknown; signal?: unknown },
  defaultMs: number,
): { deadline: number; failFast: boolean | undefined; signal: AbortSignal | undefined } {
  const deadline = deadlineOf(clock, options, defaultMs);
  return {
    deadline,
    failFast: callBoolean('failFast', options.failFast),
    signal: callSignal(options.signal),
  };
}
