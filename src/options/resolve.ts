import { randomSeed } from '../../machines/backoff.js';
import { toSupervisorLogger } from '../logging/logger.js';
import { systemClock } from '../runtime/clock.js';
import { boolean, checkKeys, duration, fail, integer, namedEntries, objectOption } from './check.js';
import { resolveConnectionSettings } from './connection.js';
import { resolveCoreLogs } from './core-logs.js';
import { type RequestDefaults, type ResolvedCreatorOptions, resolveCreatorOptions } from './creator.js';
import { DEFAULTS } from './defaults.js';
import { resolveInspect } from './inspect.js';
import { resolveMachineConfig } from './machine.js';
import type { RequestOptions, ResolvedOptions, SupervisorOptions } from './types.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions } from './worker.js';

const SUPERVISOR_KEYS = [
  'address',
  'namespace',
  'apiKey',
  'tls',
  'metadata',
  'envConfig',
  'connectTimeout',
  'backoff',
  'permanentRetryDelay',
  'stablePeriod',
  'closeTimeout',
  'healthCheck',
  'reachabilityInterval',
  'requests',
  'logger',
  'coreLogs',
  'clock',
  'seed',
  'inspect',
  'connectionOptions',
  'connector',
  'creators',
  'workers',
] satisfies readonly (keyof SupervisorOptions)[];
const REQUEST_KEYS = ['deadline', 'maxPending', 'failFast'] satisfies readonly (keyof RequestOptions)[];

/** Validates the options, applies envconfig and the defaults, and converts durations: one step. */
export function resolveOptions(options: SupervisorOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    fail('options', 'an object', options, 'Call createSupervisor({ address: … }) or createSupervisor().');
  }
  checkKeys('', options, SUPERVISOR_KEYS);
  const connection = resolveConnectionSettings(options);
  const { machine, healthCheckMethod } = resolveMachineConfig(options);

  const reachabilityIntervalMs =
    options.reachabilityInterval === false
      ? false
      : duration('reachabilityInterval', options.reachabilityInterval, DEFAULTS.reachabilityIntervalMs, 10);

  if (options.seed !== undefined && (typeof options.seed !== 'number' || !Number.isInteger(options.seed))) {
    fail('seed', 'an integer', options.seed, 'Pass e.g. `seed: 42`, or leave it out for a random seed.');
  }
  const clock = options.clock ?? systemClock;
  if (
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    fail(
      'clock',
      'an object with now(), setTimeout() and clearTimeout()',
      clock,
      "Pass XState's SimulatedClock or leave it out.",
    );
  }

  const requests = objectOption('requests', options.requests, REQUEST_KEYS);
  const requestDefaults: RequestDefaults = {
    deadlineMs: duration('requests.deadline', requests.deadline, DEFAULTS.requests.deadlineMs),
    maxPending: integer('requests.maxPending', requests.maxPending, DEFAULTS.requests.maxPending, 0),
    failFast: boolean('requests.failFast', requests.failFast, DEFAULTS.requests.failFast),
  };
  const creators = new Map<string, ResolvedCreatorOptions>(
    namedEntries('creators', options.creators, '{ orders: {} }').map(([name, creator]) => [
      name,
      resolveCreatorOptions(`creators.${name}`, creator, requestDefaults),
    ]),
  );
  const workers = new Map<string, ResolvedWorkerOptions>(
    namedEntries('workers', options.workers, "{ orders: { taskQueue: 'orders', workflowsPath } }").map(
      ([name, worker]) => [name, resolveWorkerOptions(`workers.${name}`, worker)],
    ),
  );

  return {
    ...connection,
    creators,
    workers,
    machine,
    closeTimeoutMs: duration('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeoutMs),
    inspect: resolveInspect(options.inspect),
    healthCheckMethod,
    reachabilityIntervalMs,
    requests: requestDefaults,
    logger: toSupervisorLogger(options.logger),
    coreLogs: resolveCoreLogs(options.coreLogs, workers.size > 0),
    clock,
    seed: options.seed ?? randomSeed(),
    connectionOptions: options.connectionOptions ?? {},
    connector: options.connector,
  };
}
