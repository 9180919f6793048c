import { randomSeed } from '../../machines/backoff.js';
import { systemClock } from '../runtime/clock.js';
import {
  boolean,
  checkKeys,
  duration,
  fail,
  integer,
  isPlainObject,
  namedEntries,
  objectOption,
} from './check.js';
import { resolveConnectionSettings } from './connection.js';
import { resolveCoreLogs } from './core-logs.js';
import { type RequestDefaults, type ResolvedCreatorOptions, resolveCreatorOptions } from './creator.js';
import { DEFAULTS } from './defaults.js';
import { resolveInspect } from './inspect.js';
import { resolveLogger } from './logger.js';
import { resolveMachineConfig } from './machine.js';
import type { RequestOptions, ResolvedOptions, SupervisorOptions } from './types.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions } from './worker.js';

const SUPERVISOR_KEYS = [
  'address',
  'namespace',
  'apiKey',
  'apiKeyRefreshInterval',
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
  'reconnectSpread',
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
  'escalation',
] satisfies readonly (keyof SupervisorOptions)[];
const REQUEST_KEYS = [
  'deadline',
  'maxPending',
  'maxInFlight',
  'failFast',
] satisfies readonly (keyof RequestOptions)[];

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

  const { connector } = options;
  if (connector !== undefined) {
    const c = connector as unknown as Record<string, unknown> | null;
    const missing =
      typeof c === 'object' && c !== null
        ? ['connect', 'isReachable'].filter((name) => typeof c[name] !== 'function')
        : ['connect', 'isReachable'];
    if (missing.length > 0) {
      fail(
        'connector',
        'an object with connect(request) and isReachable(timeoutMs) methods (the Connector interface)',
        connector,
        `It lacks ${missing.join(' and ')}. Leave \`connector\` out to use the Temporal client, or implement both.`,
      );
    }
  }

  const requests = objectOption('requests', options.requests, REQUEST_KEYS);
  const requestDefaults: RequestDefaults = {
    deadlineMs: duration('requests.deadline', requests.deadline, DEFAULTS.requests.deadlineMs),
    maxPending: integer('requests.maxPending', requests.maxPending, DEFAULTS.requests.maxPending, 0),
    failFast: boolean('requests.failFast', requests.failFast, DEFAULTS.requests.failFast),
  };
  const maxInFlight = integer('requests.maxInFlight', requests.maxInFlight, DEFAULTS.requests.maxInFlight, 1);
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

  const escalation = options.escalation ?? 'fail-liveness';
  if (
    escalation !== 'fail-liveness' &&
    escalation !== 'stop' &&
    !(
      isPlainObject(escalation) &&
      Object.keys(escalation).join() === 'exit' &&
      Number.isInteger(escalation.exit) &&
      escalation.exit >= 0 &&
      escalation.exit <= 255
    )
  ) {
    fail(
      'escalation',
      "'fail-liveness', 'stop' or { exit: code } with a code from 0 to 255",
      escalation,
      'Pass e.g. `escalation: { exit: 70 }`, or leave it out to fail liveness only.',
    );
  }

  return {
    ...connection,
    escalation,
    creators,
    workers,
    machine,
    closeTimeoutMs: duration('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeoutMs),
    inspect: resolveInspect(options.inspect),
    healthCheckMethod,
    reachabilityIntervalMs,
    requests: { ...requestDefaults, maxInFlight },
    logger: resolveLogger(options.logger, connection.secrets),
    coreLogs: resolveCoreLogs(options.coreLogs, workers.size > 0),
    clock,
    seed: options.seed ?? randomSeed(),
    connectionOptions: options.connectionOptions ?? {},
    connector: options.connector,
  };
}
