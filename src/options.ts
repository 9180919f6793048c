import type { ConnectionOptions } from '@temporalio/client';
import { type Duration, msToNumber } from '@temporalio/common/lib/time.js';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { InspectionEvent } from 'xstate';
import type { ConnectionConfig } from '../machines/connection.machine.js';
import { randomSeed } from './backoff.js';
import { type Clock, systemClock } from './clock.js';
import type { Connector } from './connector.js';
import { type CoreLogsOptions, type ResolvedCoreLogs, resolveCoreLogs } from './core-logs.js';
import type { CreatorOptions, ResolvedCreatorOptions } from './creator.js';
import { SupervisorOptionsError } from './errors.js';
import { type LoggerOption, type SupervisorLogger, toSupervisorLogger } from './logger.js';
import { type ResolvedWorkerOptions, resolveWorkerOptions, type WorkerOptions } from './worker.js';

export type { Duration };

/** TLS settings, as `@temporalio/client` takes them. */
export type TlsOption = NonNullable<ConnectionOptions['tls']>;

/** Which call the health check makes. */
export type HealthCheckMethod =
  /** `grpc.health.v1.Health/Check`: the cheapest; proves the frontend answers. */
  | 'health'
  /** `GetSystemInfo`: proves the workflow service answers. */
  | 'system-info'
  /** `DescribeNamespace`: also proves credentials and that the namespace exists; the most expensive. */
  | 'namespace';

export interface BackoffOptions {
  /** Delay before the first retry. @default 100 ms */
  initialDelay?: Duration;
  /** Longest delay between attempts. @default 5 s */
  maxDelay?: Duration;
  /** Growth factor between consecutive delays, at least 1. @default 1.7 */
  multiplier?: number;
  /** Relative jitter in [0, 1]: each delay is spread uniformly over ±jitter. @default 0.2 */
  jitter?: number;
}

export interface HealthCheckOptions {
  /** Which call probes the server. @default 'health' */
  method?: HealthCheckMethod;
  /** Time between probes while connected. @default 2 s */
  interval?: Duration;
  /** Time between probes while degraded. @default 500 ms */
  degradedInterval?: Duration;
  /** Deadline of each probe. @default 1 s */
  timeout?: Duration;
  /** A probe slower than this moves `connected` to `degraded` (but never gives the connection up). @default 500 ms */
  slowThreshold?: Duration;
  /** Failed probes in a row, while degraded, that give the connection up (→ `backoff`). @default 3 */
  failuresToDisconnect?: number;
  /** Good probes in a row, while degraded, that return to `connected`. @default 2 */
  successesToRecover?: number;
}

export interface RequestOptions {
  /** Deadline of a request that gives none. @default 10 s */
  deadline?: Duration;
  /** How many requests may wait for the connection at once; more are rejected with reason `queue_full`. @default 1000 */
  maxPending?: number;
  /** Reject at once, instead of waiting, when the connection is not serving. @default false */
  failFast?: boolean;
}

export interface EnvConfigOptions {
  /** Profile in the config file. @default TEMPORAL_PROFILE, else 'default' */
  profile?: string;
  /** Path of the TOML config file. @default TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml */
  configFile?: string;
  /** Environment to read instead of `process.env`. */
  env?: Record<string, string>;
}

export interface SupervisorOptions {
  /** `host:port` of the Temporal frontend. @default from envconfig (TEMPORAL_ADDRESS), else 'localhost:7233' */
  address?: string;
  /** @default from envconfig (TEMPORAL_NAMESPACE), else 'default' */
  namespace?: string;
  /** API key (Temporal Cloud). Never logged. @default from envconfig (TEMPORAL_API_KEY) */
  apiKey?: string;
  /** TLS: `true` for system roots, or a full TLS config. Keys are never logged. @default from envconfig */
  tls?: TlsOption;
  /** Extra gRPC metadata sent with every call. Values are never logged. */
  metadata?: Record<string, string>;
  /**
   * Read connection settings the way the `temporal` CLI does (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
   * TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, the TOML config file). Explicit options win.
   * @default true
   */
  envConfig?: boolean | EnvConfigOptions;
  /** Bound of one connection attempt (TCP, TLS, GetSystemInfo, DescribeNamespace). @default 5 s */
  connectTimeout?: Duration;
  /** Backoff between connection attempts after transient failures. */
  backoff?: BackoffOptions;
  /** Delay between attempts after a permanent failure (bad credentials, namespace, TLS). @default 30 s */
  permanentRetryDelay?: Duration;
  /** Time connected, without degrading, after which the attempt count resets. @default 10 s */
  stablePeriod?: Duration;
  /** Bound on closing connections in `stop()`: past it, stop finishes anyway and logs an error. @default 5 s */
  closeTimeout?: Duration;
  healthCheck?: HealthCheckOptions;
  /**
   * While backing off after the server was unreachable, dial its TCP port this often and retry at once
   * when it answers, instead of waiting out the backoff. `false` turns this off. @default 250 ms
   */
  reachabilityInterval?: Duration | false;
  requests?: RequestOptions;
  /** A pino logger or any logger of Temporal's `(message, meta)` shape. @default no logging */
  logger?: LoggerOption;
  /**
   * Forward the Temporal SDK's own logs (its Rust core's, and its workers' TypeScript side) to `logger`,
   * redacted. The SDK's Runtime is process-global: one supervisor per process may set this, and it must be
   * created before any NativeConnection or Worker. @default not forwarded (the SDK writes them to stderr)
   */
  coreLogs?: CoreLogsOptions;
  /** Source of time for delays and deadlines. @default the system clock */
  clock?: Clock;
  /** Seed of the jitter generator (for reproducible tests). @default random */
  seed?: number;
  /** Receives XState's inspection events of the connection actor (for the inspector and for tests). */
  inspect?: (event: InspectionEvent) => void;
  /** Extra options for each `Connection` (channelArgs, interceptors, …). */
  connectionOptions?: Omit<ConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata' | 'connectTimeout'>;
  /** Replaces how connections are made (for tests and custom transports). @default the Temporal client */
  connector?: Connector;
  /**
   * Workflow creators to supervise, by name (letters, digits, `.`, `_`, `-`): each starts workflows
   * exactly once per request. Get one with `supervisor.creator(name)`.
   */
  creators?: Record<string, CreatorOptions>;
  /**
   * Temporal workers to supervise, by name: each is created once the connection is up, kept running
   * through outages, and replaced after a failure, within its restart intensity.
   */
  workers?: Record<string, WorkerOptions>;
}

/** Every option with its default applied; durations in milliseconds. */
export interface ResolvedOptions {
  readonly address: string;
  readonly namespace: string;
  readonly apiKey: string | undefined;
  readonly tls: TlsOption | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly machine: ConnectionConfig;
  readonly closeTimeoutMs: number;
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  readonly healthCheckMethod: HealthCheckMethod;
  readonly reachabilityIntervalMs: number | false;
  readonly requests: { readonly deadlineMs: number; readonly maxPending: number; readonly failFast: boolean };
  readonly logger: SupervisorLogger;
  /** Core log forwarding, when asked for. */
  readonly coreLogs: ResolvedCoreLogs | undefined;
  readonly clock: Clock;
  readonly seed: number;
  readonly connectionOptions: NonNullable<SupervisorOptions['connectionOptions']>;
  readonly connector: Connector | undefined;
  /** Every secret in the options, for redaction. */
  readonly secrets: readonly string[];
  readonly creators: ReadonlyMap<string, ResolvedCreatorOptions>;
  readonly workers: ReadonlyMap<string, ResolvedWorkerOptions>;
}

/** The defaults, in one place. */
export const DEFAULTS = {
  address: 'localhost:7233',
  namespace: 'default',
  connectTimeoutMs: 5_000,
  backoff: { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 1.7, jitter: 0.2 },
  permanentRetryDelayMs: 30_000,
  stablePeriodMs: 10_000,
  closeTimeoutMs: 5_000,
  healthCheck: {
    method: 'health' as HealthCheckMethod,
    intervalMs: 2_000,
    degradedIntervalMs: 500,
    timeoutMs: 1_000,
    slowThresholdMs: 500,
    failuresToDisconnect: 3,
    successesToRecover: 2,
  },
  reachabilityIntervalMs: 250,
  requests: { deadlineMs: 10_000, maxPending: 1_000, failFast: false },
  creator: { retryDelayMs: 100 },
} as const;

const CHILD_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': [
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
  ],
  creator: ['deadline', 'maxPending', 'failFast', 'retryDelay'],
  backoff: ['initialDelay', 'maxDelay', 'multiplier', 'jitter'],
  healthCheck: [
    'method',
    'interval',
    'degradedInterval',
    'timeout',
    'slowThreshold',
    'failuresToDisconnect',
    'successesToRecover',
  ],
  requests: ['deadline', 'maxPending', 'failFast'],
  envConfig: ['profile', 'configFile', 'env'],
};

const HEALTH_METHODS: readonly HealthCheckMethod[] = ['health', 'system-info', 'namespace'];
const SECRET_METADATA_KEY = /authorization|token|secret|password|api[-_]?key|cookie/i;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function fail(field: string, expected: string, value: unknown, fix: string): never {
  throw new SupervisorOptionsError(
    field,
    `Invalid option \`${field}\`: expected ${expected}, received ${show(value)}. ${fix}`,
  );
}

function checkKeys(scope: string, value: object, known: readonly string[] = KNOWN_KEYS[scope] ?? []): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const field = scope ? `${scope}.${key}` : key;
      throw new SupervisorOptionsError(
        field,
        `Unknown option \`${field}\`. Known options${scope ? ` of \`${scope}\`` : ''}: ${known.join(', ')}.`,
      );
    }
  }
}

function objectOption<T extends object>(field: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field, 'an object', value, `Pass \`${field}: { … }\` or leave it out for the defaults.`);
  }
  checkKeys(field, value);
  return value;
}

function duration(field: string, value: Duration | undefined, fallbackMs: number, minMs = 1): number {
  if (value === undefined) return fallbackMs;
  let ms: number;
  try {
    ms = typeof value === 'number' ? value : msToNumber(value);
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < minMs) {
    fail(
      field,
      `a duration of at least ${minMs} ms (milliseconds as a number, or a string such as '5s')`,
      value,
      `Pass e.g. \`${field}: '${Math.max(minMs, fallbackMs)}ms'\`, or leave it out for the default (${fallbackMs} ms).`,
    );
  }
  return Math.round(ms);
}

function integer(field: string, value: number | undefined, fallback: number, min: number): number {
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

function numberIn(
  field: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(
      field,
      `a number from ${min} to ${max === Number.MAX_VALUE ? 'any larger value' : max}`,
      value,
      `Pass e.g. \`${field}: ${fallback}\` (the default).`,
    );
  }
  return value;
}

function validAddress(field: string, address: unknown): string {
  if (typeof address !== 'string' || !/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.test(address)) {
    fail(
      field,
      field === 'envConfig'
        ? "an address of the form 'host:port' in TEMPORAL_ADDRESS or the config profile"
        : "an address of the form 'host:port'",
      address,
      "Pass e.g. `address: 'localhost:7233'` or set TEMPORAL_ADDRESS.",
    );
  }
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (port < 1 || port > 65_535) {
    fail(field, 'a port from 1 to 65535', address, "Pass e.g. `address: 'localhost:7233'`.");
  }
  return address;
}

interface FromEnv {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: TlsOption;
  metadata?: Record<string, string>;
}

function loadEnvConfig(option: SupervisorOptions['envConfig']): FromEnv {
  if (option === false) return {};
  const settings = option === true || option === undefined ? {} : objectOption('envConfig', option);
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({
      ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
      ...(settings.configFile !== undefined ? { configSource: { path: settings.configFile } } : {}),
      ...(settings.env !== undefined ? { overrideEnvVars: settings.env } : {}),
    });
  } catch (error) {
    throw new SupervisorOptionsError(
      'envConfig',
      // Only the first line: parsers quote the offending lines of the file, which may hold an API key.
      `Could not load Temporal's environment configuration (TEMPORAL_* variables, the TOML profile): ${
        (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]
      }. Fix the variable or file it names, or pass \`envConfig: false\` and give the options directly.`,
    );
  }
  const c = loaded.connectionOptions;
  const out: FromEnv = {};
  if (c.address) out.address = c.address;
  if (loaded.namespace) out.namespace = loaded.namespace;
  if (c.apiKey && typeof c.apiKey === 'string') out.apiKey = c.apiKey;
  if (c.tls !== undefined && c.tls !== false) out.tls = c.tls as TlsOption;
  if (c.metadata) out.metadata = { ...(c.metadata as Record<string, string>) };
  return out;
}

function secretsOf(apiKey: string | undefined, tls: TlsOption | undefined, metadata: Record<string, string>) {
  const secrets: string[] = [];
  if (apiKey) secrets.push(apiKey);
  if (tls && typeof tls === 'object' && tls.clientCertPair?.key) {
    const pem = Buffer.from(tls.clientCertPair.key).toString('utf8');
    secrets.push(pem);
    // Each line of the key body too, in case a line is quoted on its own.
    for (const line of pem.split(/\r?\n/))
      if (line.length >= 16 && !line.startsWith('-----')) secrets.push(line);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (SECRET_METADATA_KEY.test(key) && value) {
      secrets.push(value);
      const bearer = value.replace(/^bearer\s+/i, '');
      if (bearer !== value) secrets.push(bearer);
    }
  }
  return secrets;
}

/** Validates the options, applies envconfig and the defaults, and converts durations: one step. */
export function resolveOptions(options: SupervisorOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    fail('options', 'an object', options, 'Call createSupervisor({ address: … }) or createSupervisor().');
  }
  checkKeys('', options);
  const fromEnv = loadEnvConfig(options.envConfig);

  const address = validAddress(
    options.address !== undefined ? 'address' : fromEnv.address !== undefined ? 'envConfig' : 'address',
    options.address ?? fromEnv.address ?? DEFAULTS.address,
  );
  const namespace = options.namespace ?? fromEnv.namespace ?? DEFAULTS.namespace;
  if (typeof namespace !== 'string' || namespace.length === 0) {
    fail('namespace', 'a non-empty string', namespace, "Pass e.g. `namespace: 'default'`.");
  }
  const apiKey = options.apiKey ?? fromEnv.apiKey;
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length < 4)) {
    fail(
      'apiKey',
      'a string of at least 4 characters',
      '[hidden]',
      'Pass the API key as a string, or leave it out.',
    );
  }
  const tls = options.tls ?? fromEnv.tls;
  if (tls !== undefined && typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) {
    fail('tls', 'true, false or a TLS config object', tls, 'Pass `tls: true` for system roots.');
  }
  if (
    options.metadata !== undefined &&
    (typeof options.metadata !== 'object' || options.metadata === null || Array.isArray(options.metadata))
  ) {
    fail(
      'metadata',
      'an object of string values',
      options.metadata,
      "Pass e.g. `metadata: { 'x-team': 'payments' }`.",
    );
  }
  const metadata = { ...(fromEnv.metadata ?? {}), ...(options.metadata ?? {}) };
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      fail(`metadata.${key}`, 'a string', value, 'gRPC metadata values are strings.');
    }
  }

  const backoff = objectOption('backoff', options.backoff);
  const health = objectOption('healthCheck', options.healthCheck);
  const requests = objectOption('requests', options.requests);

  const initialDelayMs = duration(
    'backoff.initialDelay',
    backoff.initialDelay,
    DEFAULTS.backoff.initialDelayMs,
  );
  const maxDelayMs = duration('backoff.maxDelay', backoff.maxDelay, DEFAULTS.backoff.maxDelayMs);
  if (maxDelayMs < initialDelayMs) {
    // Blame the option the caller gave: initialDelay alone can exceed the default maxDelay.
    if (backoff.maxDelay === undefined) {
      fail(
        'backoff.initialDelay',
        `at most backoff.maxDelay (${maxDelayMs} ms, the default)`,
        backoff.initialDelay,
        'Lower backoff.initialDelay or raise backoff.maxDelay with it.',
      );
    }
    fail(
      'backoff.maxDelay',
      `at least backoff.initialDelay (${initialDelayMs} ms)`,
      backoff.maxDelay,
      'Raise backoff.maxDelay or lower backoff.initialDelay.',
    );
  }
  const timeoutMs = duration('healthCheck.timeout', health.timeout, DEFAULTS.healthCheck.timeoutMs);
  const slowThresholdMs = duration(
    'healthCheck.slowThreshold',
    health.slowThreshold,
    Math.min(DEFAULTS.healthCheck.slowThresholdMs, timeoutMs),
  );
  if (slowThresholdMs > timeoutMs) {
    fail(
      'healthCheck.slowThreshold',
      `at most healthCheck.timeout (${timeoutMs} ms), or no probe could ever be slow`,
      health.slowThreshold,
      'Lower healthCheck.slowThreshold or raise healthCheck.timeout.',
    );
  }
  const method = health.method ?? DEFAULTS.healthCheck.method;
  if (!HEALTH_METHODS.includes(method)) {
    fail(
      'healthCheck.method',
      `one of ${HEALTH_METHODS.map((m) => `'${m}'`).join(', ')}`,
      method,
      "Pass e.g. `healthCheck: { method: 'health' }`.",
    );
  }

  const machine: ConnectionConfig = {
    connectTimeoutMs: duration('connectTimeout', options.connectTimeout, DEFAULTS.connectTimeoutMs),
    backoff: {
      initialDelayMs,
      maxDelayMs,
      multiplier: numberIn('backoff.multiplier', backoff.multiplier, DEFAULTS.backoff.multiplier, 1, 100),
      jitter: numberIn('backoff.jitter', backoff.jitter, DEFAULTS.backoff.jitter, 0, 1),
    },
    permanentRetryDelayMs: duration(
      'permanentRetryDelay',
      options.permanentRetryDelay,
      DEFAULTS.permanentRetryDelayMs,
    ),
    stablePeriodMs: duration('stablePeriod', options.stablePeriod, DEFAULTS.stablePeriodMs),
    healthCheck: {
      intervalMs: duration('healthCheck.interval', health.interval, DEFAULTS.healthCheck.intervalMs),
      degradedIntervalMs: duration(
        'healthCheck.degradedInterval',
        health.degradedInterval,
        DEFAULTS.healthCheck.degradedIntervalMs,
      ),
      timeoutMs,
      slowThresholdMs,
      failuresToDisconnect: integer(
        'healthCheck.failuresToDisconnect',
        health.failuresToDisconnect,
        DEFAULTS.healthCheck.failuresToDisconnect,
        1,
      ),
      successesToRecover: integer(
        'healthCheck.successesToRecover',
        health.successesToRecover,
        DEFAULTS.healthCheck.successesToRecover,
        1,
      ),
    },
  };

  const reachabilityIntervalMs =
    options.reachabilityInterval === false
      ? false
      : duration('reachabilityInterval', options.reachabilityInterval, DEFAULTS.reachabilityIntervalMs, 10);

  if (options.seed !== undefined && (typeof options.seed !== 'number' || !Number.isInteger(options.seed))) {
    fail('seed', 'an integer', options.seed, 'Pass e.g. `seed: 42`, or leave it out for a random seed.');
  }
  if (options.inspect !== undefined && typeof options.inspect !== 'function') {
    fail('inspect', 'a function', options.inspect, 'Pass `inspect: (event) => …` or leave it out.');
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

  if (requests.failFast !== undefined && typeof requests.failFast !== 'boolean') {
    fail(
      'requests.failFast',
      'true or false',
      requests.failFast,
      'Pass `requests: { failFast: true }` or leave it out.',
    );
  }

  const requestDefaults = {
    deadlineMs: duration('requests.deadline', requests.deadline, DEFAULTS.requests.deadlineMs),
    maxPending: integer('requests.maxPending', requests.maxPending, DEFAULTS.requests.maxPending, 0),
    failFast: requests.failFast ?? DEFAULTS.requests.failFast,
  };
  const creators = new Map<string, ResolvedCreatorOptions>();
  if (options.creators !== undefined) {
    if (
      typeof options.creators !== 'object' ||
      options.creators === null ||
      Array.isArray(options.creators)
    ) {
      fail(
        'creators',
        'an object of creator options by name',
        options.creators,
        'Pass e.g. `creators: { orders: {} }`.',
      );
    }
    for (const [name, creator] of Object.entries(options.creators)) {
      const field = `creators.${name}`;
      if (!CHILD_NAME.test(name)) {
        fail(
          field,
          'a name of 1 to 64 letters, digits, `.`, `_` or `-`',
          name,
          "Pass e.g. `creators: { 'orders-api': {} }`.",
        );
      }
      if (typeof creator !== 'object' || creator === null || Array.isArray(creator)) {
        fail(
          field,
          'an object (possibly empty)',
          creator,
          `Pass \`creators: { ${name}: {} }\` for the defaults.`,
        );
      }
      checkKeys(field, creator, KNOWN_KEYS.creator);
      if (creator.failFast !== undefined && typeof creator.failFast !== 'boolean') {
        fail(
          `${field}.failFast`,
          'true or false',
          creator.failFast,
          'Pass `failFast: true` or leave it out.',
        );
      }
      creators.set(name, {
        deadlineMs: duration(`${field}.deadline`, creator.deadline, requestDefaults.deadlineMs),
        maxPending: integer(`${field}.maxPending`, creator.maxPending, requestDefaults.maxPending, 1),
        failFast: creator.failFast ?? requestDefaults.failFast,
        retryDelayMs: duration(`${field}.retryDelay`, creator.retryDelay, DEFAULTS.creator.retryDelayMs),
      });
    }
  }

  const workers = new Map<string, ResolvedWorkerOptions>();
  if (options.workers !== undefined) {
    if (typeof options.workers !== 'object' || options.workers === null || Array.isArray(options.workers)) {
      fail(
        'workers',
        'an object of worker options by name',
        options.workers,
        "Pass e.g. `workers: { orders: { taskQueue: 'orders', workflowsPath } }`.",
      );
    }
    for (const [name, worker] of Object.entries(options.workers)) {
      if (!CHILD_NAME.test(name)) {
        fail(
          `workers.${name}`,
          'a name of 1 to 64 letters, digits, `.`, `_` or `-`',
          name,
          "Pass e.g. `workers: { 'orders-worker': { … } }`.",
        );
      }
      workers.set(name, resolveWorkerOptions(`workers.${name}`, worker));
    }
  }

  return {
    creators,
    workers,
    address,
    namespace,
    apiKey,
    tls,
    metadata,
    machine,
    closeTimeoutMs: duration('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeoutMs),
    inspect: options.inspect,
    healthCheckMethod: method,
    reachabilityIntervalMs,
    requests: requestDefaults,
    logger: toSupervisorLogger(options.logger),
    coreLogs: resolveCoreLogs(options.coreLogs, workers.size > 0),
    clock,
    seed: options.seed ?? randomSeed(),
    connectionOptions: options.connectionOptions ?? {},
    connector: options.connector,
    secrets: secretsOf(apiKey, tls, metadata),
  };
}
