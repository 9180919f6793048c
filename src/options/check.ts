/**
 * The one grammar of every option message: "Invalid option `field`: expected …, received …. Fix." and "Unknown
 * option `field`. Known options of `scope`: …". Every checker names the full path of the field it checks.
 */
import { SupervisorOptionsError } from '../errors.js';
import { MAX_TIMER_MS } from '../runtime/clock.js';
import { type Duration, durationMs } from '../temporal/duration.js';

/** A value as it appears in a message: strings quoted, functions named, objects as JSON where possible. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throws the option error: what was expected, what was received, and the fix. */
export function fail(field: string, expected: string, value: unknown, fix: string): never {
  throw new SupervisorOptionsError(
    field,
    `Invalid option \`${field}\`: expected ${expected}, received ${show(value)}. ${fix}`,
  );
}

/** Rejects the first key of `value` that is not in `known`. `hint` ends the message (e.g. where else it goes). */
export function checkKeys(scope: string, value: object, known: readonly string[], hint = ''): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const field = scope ? `${scope}.${key}` : key;
      throw new SupervisorOptionsError(
        field,
        `Unknown option \`${field}\`. Known options${scope ? ` of \`${scope}\`` : ''}: ${known.join(', ')}.${hint ? ` ${hint}` : ''}`,
      );
    }
  }
}

/** A plain object (not null, not an array), or `{}` when left out. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional object option whose keys must be among `known`. */
export function objectOption<T extends object>(
  field: string,
  value: T | undefined,
  known: readonly string[],
): T {
  if (value === undefined) return {} as T;
  if (!isPlainObject(value)) {
    fail(field, 'an object', value, `Pass \`${field}: { … }\` or leave it out for the defaults.`);
  }
  checkKeys(field, value, known);
  return value;
}

/**
 * A duration in whole milliseconds, at least `minMs` and at most Node's longest timer (2³¹−1 ms, ~24.8 days: no
 * delay or deadline of the supervisor means anything beyond it); `fallbackMs` when left out.
 */
export function duration(field: string, value: Duration | undefined, fallbackMs: number, minMs = 1): number {
  if (value === undefined) return fallbackMs;
  const ms = durationMs(value);
  if (!Number.isFinite(ms) || ms < minMs || ms > MAX_TIMER_MS) {
    fail(
      field,
      `a duration of at least ${minMs} ms and at most ${MAX_TIMER_MS} ms (~24.8 days) (milliseconds as a number, or a string such as '5s')`,
      value,
      `Pass e.g. \`${field}: '${Math.max(minMs, fallbackMs)}ms'\`, or leave it out for the default (${fallbackMs} ms).`,
    );
  }
  return Math.round(ms);
}

/** A whole number of at least `min`; `fallback` when left out. */
export function integer(field: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(
      field,
      `a whole number of at least ${min}`,
      value,
      `Pass e.g. \`${field}: ${fallback}\` (the default).`,
    );
  }
  return value;
}

/** A finite number in [min, max]; `fallback` when left out. */
export function numberIn(
  field: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(
      field,
      `a number from ${min} to ${max}`,
      value,
      `Pass e.g. \`${field}: ${fallback}\` (the default).`,
    );
  }
  return value;
}

/** `true` or `false`; `fallback` when left out. */
export function boolean(field: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    fail(field, 'true or false', value, `Pass \`${field}: ${!fallback}\` or leave it out.`);
  }
  return value;
}

/** A non-empty string. */
export function nonEmptyString(field: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(field, 'a non-empty string', value, `Pass e.g. \`${field}: '${example}'\`.`);
  }
  return value;
}

const CHILD_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The entries of a `creators`/`workers` map, each name checked. */
export function namedEntries<T>(field: string, value: Record<string, T> | undefined, example: string) {
  if (value === undefined) return [];
  if (!isPlainObject(value)) {
    fail(
      field,
      `an object of ${field.slice(0, -1)} options by name`,
      value,
      `Pass e.g. \`${field}: ${example}\`.`,
    );
  }
  return Object.entries(value as Record<string, T>).map(([name, options]): [string, T] => {
    if (!CHILD_NAME.test(name)) {
      fail(
        `${field}.${name}`,
        'a name of 1 to 64 letters, digits, `.`, `_` or `-`',
        name,
        `Pass e.g. \`${field}: { 'orders-1': … }\`.`,
      );
    }
    return [name, options];
  });
}
