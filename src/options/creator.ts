import type { Duration } from '../temporal/duration.js';
import { boolean, checkKeys, duration, fail, integer, isPlainObject } from './check.js';
import { DEFAULTS } from './defaults.js';

/** Options of one workflow creator, all optional. */
export interface CreatorOptions {
  /** Deadline of a request that gives none. @default the supervisor's `requests.deadline` */
  deadline?: Duration;
  /** Requests of this creator that may be outstanding at once; more reject with `queue_full`. @default 1000 */
  maxPending?: number;
  /** Reject at once instead of waiting while the connection is not serving. @default the supervisor's `requests.failFast` */
  failFast?: boolean;
  /** Pause before retrying a start whose connection was lost, within the deadline. @default 100 ms */
  retryDelay?: Duration;
}

/** A creator's options, resolved. */
export interface ResolvedCreatorOptions {
  readonly deadlineMs: number;
  readonly maxPending: number;
  readonly failFast: boolean;
  readonly retryDelayMs: number;
}

/** The supervisor-wide request defaults a creator inherits. */
export interface RequestDefaults {
  readonly deadlineMs: number;
  readonly maxPending: number;
  readonly failFast: boolean;
}

const CREATOR_KEYS = [
  'deadline',
  'maxPending',
  'failFast',
  'retryDelay',
] satisfies readonly (keyof CreatorOptions)[];

/** Checks one entry of `creators` (`field` is `creators.<name>`) and applies the defaults. */
export function resolveCreatorOptions(
  field: string,
  creator: CreatorOptions,
  requests: RequestDefaults,
): ResolvedCreatorOptions {
  if (!isPlainObject(creator as unknown)) {
    fail(field, 'an object (possibly empty)', creator, `Pass \`${field}: {}\` for the defaults.`);
  }
  checkKeys(field, creator, CREATOR_KEYS);
  return {
    deadlineMs: duration(`${field}.deadline`, creator.deadline, requests.deadlineMs),
    maxPending: integer(`${field}.maxPending`, creator.maxPending, requests.maxPending, 1),
    failFast: boolean(`${field}.failFast`, creator.failFast, requests.failFast),
    retryDelayMs: duration(`${field}.retryDelay`, creator.retryDelay, DEFAULTS.creator.retryDelayMs),
  };
}
