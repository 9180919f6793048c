import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { isSupervisorOptionsError, type SupervisorOptionsError } from '../../src/errors.js';
import type { MessageMetaLogger } from '../../src/logging/logger.js';
import {
  DEFAULTS,
  type ResolvedOptions,
  resolveOptions,
  type SupervisorOptions,
} from '../../src/options/index.js';
import { systemClock } from '../../src/runtime/clock.js';
import type { Connector } from '../../src/runtime/connector.js';

/** Options with one (possibly nested) field set: `at('backoff.jitter', 0.5)`. */
function at(path: string, value: unknown): SupervisorOptions {
  const [head, tail] = path.split('.') as [string, string | undefined];
  return (tail === undefined ? { [head]: value } : { [head]: { [tail]: value } }) as SupervisorOptions;
}

/** resolveOptions without envconfig, so that the machine's environment cannot leak in. */
function resolve(options: SupervisorOptions = {}): ResolvedOptions {
  return resolveOptions({ envConfig: false, ...options });
}

function optionsError(options: unknown): SupervisorOptionsError {
  try {
    resolveOptions(options as SupervisorOptions);
  } catch (error) {
    if (isSupervisorOptionsError(error)) return error;
    throw error;
  }
  throw new Error(`resolveOptions accepted ${JSON.stringify(options)}`);
}

/** Asserts the options are refused for `field`, with a message naming it and containing each fragment. */
function expectRejected(
  options: SupervisorOptions,
  field: string,
  ...fragments: string[]
): SupervisorOptionsError {
  const error = optionsError({ envConfig: false, ...options });
  expect(error.name).toBe('SupervisorOptionsError');
  expect(error).toBeInstanceOf(TypeError);
  expect(error.field).toBe(field);
  expect(error.message).toContain(`\`${field}\``);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

const DURATIONS: ReadonlyArray<readonly [string, (r: ResolvedOptions) => number | false]> = [
  ['connectTimeout', (r) => r.machine.connectTimeoutMs],
  ['backoff.initialDelay', (r) => r.machine.backoff.initialDelayMs],
  ['backoff.maxDelay', (r) => r.machine.backoff.maxDelayMs],
  ['permanentRetryDelay', (r) => r.machine.permanentRetryDelayMs],
  ['stablePeriod', (r) => r.machine.stablePeriodMs],
  ['closeTimeout', (r) => r.closeTimeoutMs],
  ['healthCheck.interval', (r) => r.machine.healthCheck.intervalMs],
  ['healthCheck.degradedInterval', (r) => r.machine.healthCheck.degradedIntervalMs],
  ['healthCheck.timeout', (r) => r.machine.healthCheck.timeoutMs],
  ['healthCheck.slowThreshold', (r) => r.machine.healthCheck.slowThresholdMs],
  ['reachabilityInterval', (r) => r.reachabilityIntervalMs],
  ['requests.deadline', (r) => r.requests.deadlineMs],
];

describe('resolveOptions: defaults', () => {
  it('with envConfig: false gives exactly DEFAULTS', () => {
    const r = resolveOptions({ envConfig: false });
    expect({
      address: r.address,
      namespace: r.namespace,
      connectTimeoutMs: r.machine.connectTimeoutMs,
      backoff: r.machine.backoff,
      permanentRetryDelayMs: r.machine.permanentRetryDelayMs,
      stablePeriodMs: r.machine.stablePeriodMs,
      closeTimeoutMs: r.closeTimeoutMs,
      healthCheck: { method: r.healthCheckMethod, ...r.machine.healthCheck },
      reachabilityIntervalMs: r.reachabilityIntervalMs,
      reconnectSpreadMs: r.machine.reconnectSpreadMs,
      requests: r.requests,
      creator: DEFAULTS.creator,
      worker: DEFAULTS.worker,
      coreLogs: DEFAULTS.coreLogs,
      readinessDelayMs: DEFAULTS.readinessDelayMs, // shutdown()'s, pinned in test/unit/shutdown.test.ts
    }).toStrictEqual(DEFAULTS);
    // The worker and core-log defaults are those a worker and `coreLogs: {}` resolve to.
    const w = resolveOptions({
      envConfig: false,
      coreLogs: {},
      workers: { w: { taskQueue: 'q', activities: {} } },
    });
    const { options: _given, ...worker } = w.workers.get('w')!;
    expect(worker).toStrictEqual(DEFAULTS.worker);
    expect(w.coreLogs).toStrictEqual({ ...DEFAULTS.coreLogs, telemetryOptions: {} });
    expect(r.creators.size).toBe(0);
    expect(Object.keys(r.machine).sort()).toEqual(
      [
        'backoff',
        'connectTimeoutMs',
        'healthCheck',
        'permanentRetryDelayMs',
        'reconnectSpreadMs',
        'stablePeriodMs',
      ].sort(),
    );
    expect(r.apiKey).toBeUndefined();
    expect(r.tls).toBeUndefined();
    expect(r.metadata).toStrictEqual({});
    expect(r.connectionOptions).toStrictEqual({});
    expect(r.connector).toBeUndefined();
    expect(r.secrets).toStrictEqual([]);
    expect(r.clock).toBe(systemClock);
    expect(r.inspect).toBeUndefined();
    expect(Number.isInteger(r.seed)).toBe(true);
  });

  it('the defaults are the documented ones', () => {
    expect(DEFAULTS).toStrictEqual({
      address: 'localhost:7233',
      namespace: 'default',
      connectTimeoutMs: 5_000,
      backoff: { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 1.7, jitter: 0.2 },
      permanentRetryDelayMs: 30_000,
      stablePeriodMs: 10_000,
      closeTimeoutMs: 5_000,
      healthCheck: {
        method: 'health',
        intervalMs: 500,
        degradedIntervalMs: 500,
        timeoutMs: 1_000,
        slowThresholdMs: 400,
        failuresToDisconnect: 3,
        successesToRecover: 2,
      },
      reachabilityIntervalMs: 250,
      reconnectSpreadMs: 0,
      requests: { deadlineMs: 10_000, maxPending: 1_000, maxInFlight: 64, failFast: false },
      creator: { retryDelayMs: 100 },
      worker: {
        maxRestarts: 5,
        restartWindowMs: 60_000,
        restartDelayMs: 1_000,
        drainTimeoutMs: 10_000,
        refreshAfterOutageMs: 1_000,
        significant: false,
        pollerCheck: { intervalMs: 30_000, absentForMs: 120_000, partitions: 4 },
      },
      coreLogs: { level: 'WARN', sdkLevel: 'INFO' },
      readinessDelayMs: 5_000,
    });
  });

  it('resolves creators: their own values, or the request defaults', () => {
    const r = resolveOptions({
      envConfig: false,
      requests: { deadline: '3s', failFast: true },
      creators: {
        orders: {},
        'billing-v2': { deadline: 500, maxPending: 7, failFast: false, retryDelay: '20ms' },
      },
    });
    expect(Object.fromEntries(r.creators)).toStrictEqual({
      orders: { deadlineMs: 3_000, maxPending: 1_000, failFast: true, retryDelayMs: 100 },
      'billing-v2': { deadlineMs: 500, maxPending: 7, failFast: false, retryDelayMs: 20 },
    });
  });

  it('rejects bad creators: names, unknown keys, bad values', () => {
    expect(() => resolveOptions({ envConfig: false, creators: { 'no spaces': {} } })).toThrow(
      /creators.no spaces/,
    );
    expect(() =>
      resolveOptions({
        envConfig: false,
        creators: { orders: { deadlne: 5 } as unknown as Record<string, never> },
      }),
    ).toThrow(/Unknown option `creators.orders.deadlne`/);
    expect(() => resolveOptions({ envConfig: false, creators: { orders: { maxPending: 0 } } })).toThrow(
      /creators.orders.maxPending/,
    );
    expect(() =>
      resolveOptions({ envConfig: false, creators: { orders: { failFast: 'yes' as unknown as boolean } } }),
    ).toThrow(/creators.orders.failFast/);
  });

  it('resolveOptions() with no argument applies the defaults too', () => {
    vi.stubEnv('TEMPORAL_CONFIG_FILE', '/nonexistent/temporal-supervisor-test.toml');
    vi.stubEnv('TEMPORAL_ADDRESS', undefined);
    vi.stubEnv('TEMPORAL_NAMESPACE', undefined);
    vi.stubEnv('TEMPORAL_API_KEY', undefined);
    vi.stubEnv('TEMPORAL_PROFILE', undefined);
    try {
      const r = resolveOptions();
      expect(r.address).toBe(DEFAULTS.address);
      expect(r.namespace).toBe(DEFAULTS.namespace);
      expect(r.machine.backoff).toStrictEqual(DEFAULTS.backoff);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('gives a different random seed per call when none is given', () => {
    const seeds = new Set(Array.from({ length: 20 }, () => resolve().seed));
    expect(seeds.size).toBeGreaterThan(1);
  });
});

describe('resolveOptions: every option is honoured', () => {
  it('address', () => {
    expect(resolve({ address: 'temporal.example.com:7234' }).address).toBe('temporal.example.com:7234');
  });

  it.each(['10.0.0.1:1', '[::1]:7233', 'host-name_1.internal:65535', 'h:00080'])(
    'address %s is accepted',
    (address) => {
      expect(resolve({ address }).address).toBe(address);
    },
  );

  it('namespace', () => {
    expect(resolve({ namespace: 'payments-prod' }).namespace).toBe('payments-prod');
  });

  it('apiKey (and it is listed as a secret)', () => {
    const r = resolve({ apiKey: 'my-api-key-0001' });
    expect(r.apiKey).toBe('my-api-key-0001');
    expect(r.secrets).toEqual(['my-api-key-0001']);
  });

  it('tls: true, false and a config object', () => {
    expect(resolve({ tls: true }).tls).toBe(true);
    expect(resolve({ tls: false }).tls).toBe(false);
    const tls = { serverNameOverride: 'temporal.internal' };
    expect(resolve({ tls }).tls).toBe(tls);
  });

  it('metadata', () => {
    expect(resolve({ metadata: { 'x-tenant': 'acme' } }).metadata).toStrictEqual({ 'x-tenant': 'acme' });
  });

  for (const [path, read] of DURATIONS) {
    it(`${path} as milliseconds and as duration strings`, () => {
      expect(read(resolve(at(path, 321)))).toBe(321);
      expect(read(resolve(at(path, '750ms')))).toBe(750);
      expect(read(resolve(at(path, '0.9s')))).toBe(900);
    });
  }

  it("accepts '250ms', '2s' and '1m' and rounds fractional milliseconds", () => {
    expect(resolve({ backoff: { initialDelay: '250ms' } }).machine.backoff.initialDelayMs).toBe(250);
    expect(resolve({ connectTimeout: '2s' }).machine.connectTimeoutMs).toBe(2_000);
    expect(resolve({ permanentRetryDelay: '1m' }).machine.permanentRetryDelayMs).toBe(60_000);
    expect(resolve({ connectTimeout: 1.6 }).machine.connectTimeoutMs).toBe(2);
  });

  it('backoff.multiplier', () => {
    expect(resolve({ backoff: { multiplier: 2.5 } }).machine.backoff.multiplier).toBe(2.5);
    expect(resolve({ backoff: { multiplier: 1 } }).machine.backoff.multiplier).toBe(1);
  });

  it('backoff.jitter', () => {
    expect(resolve({ backoff: { jitter: 0 } }).machine.backoff.jitter).toBe(0);
    expect(resolve({ backoff: { jitter: 1 } }).machine.backoff.jitter).toBe(1);
    expect(resolve({ backoff: { jitter: 0.35 } }).machine.backoff.jitter).toBe(0.35);
  });

  it('backoff fields together keep each other', () => {
    expect(
      resolve({ backoff: { initialDelay: '1s', maxDelay: '1m', multiplier: 3, jitter: 0.1 } }).machine
        .backoff,
    ).toStrictEqual({ initialDelayMs: 1_000, maxDelayMs: 60_000, multiplier: 3, jitter: 0.1 });
  });

  it.each(['health', 'system-info', 'namespace', 'history'] as const)('healthCheck.method %s', (method) => {
    expect(resolve({ healthCheck: { method } }).healthCheckMethod).toBe(method);
  });

  it('healthCheck.slowThreshold defaults to at most healthCheck.timeout', () => {
    const r = resolve({ healthCheck: { timeout: '200ms' } });
    expect(r.machine.healthCheck.timeoutMs).toBe(200);
    expect(r.machine.healthCheck.slowThresholdMs).toBe(200);
    expect(
      resolve({ healthCheck: { timeout: '1s', slowThreshold: '1s' } }).machine.healthCheck,
    ).toMatchObject({
      timeoutMs: 1_000,
      slowThresholdMs: 1_000,
    });
  });

  it('healthCheck.failuresToDisconnect', () => {
    expect(
      resolve({ healthCheck: { failuresToDisconnect: 7 } }).machine.healthCheck.failuresToDisconnect,
    ).toBe(7);
    expect(
      resolve({ healthCheck: { failuresToDisconnect: 1 } }).machine.healthCheck.failuresToDisconnect,
    ).toBe(1);
  });

  it('healthCheck.successesToRecover', () => {
    expect(resolve({ healthCheck: { successesToRecover: 5 } }).machine.healthCheck.successesToRecover).toBe(
      5,
    );
  });

  it('reachabilityInterval: false turns it off; 10 ms is the minimum', () => {
    expect(resolve({ reachabilityInterval: false }).reachabilityIntervalMs).toBe(false);
    expect(resolve({ reachabilityInterval: 10 }).reachabilityIntervalMs).toBe(10);
  });

  it('reconnectSpread: 0 (at once) by default and allowed; a string duration', () => {
    expect(resolve({}).machine.reconnectSpreadMs).toBe(0);
    expect(resolve({ reconnectSpread: 0 }).machine.reconnectSpreadMs).toBe(0);
    expect(resolve({ reconnectSpread: '1.5s' }).machine.reconnectSpreadMs).toBe(1_500);
  });

  it('requests.maxPending, including 0', () => {
    expect(resolve({ requests: { maxPending: 25 } }).requests.maxPending).toBe(25);
    expect(resolve({ requests: { maxPending: 0 } }).requests.maxPending).toBe(0);
  });

  it('requests.maxInFlight, at least 1', () => {
    expect(resolve({ requests: { maxInFlight: 1 } }).requests.maxInFlight).toBe(1);
    expect(resolve({ requests: { maxInFlight: 500 } }).requests.maxInFlight).toBe(500);
    expect(() => resolve({ requests: { maxInFlight: 0 } })).toThrow(/requests\.maxInFlight/);
  });

  it('requests.failFast', () => {
    expect(resolve({ requests: { failFast: true } }).requests.failFast).toBe(true);
  });

  it('requests fields together keep each other', () => {
    expect(
      resolve({ requests: { deadline: '3s', maxPending: 9, maxInFlight: 3, failFast: true } }).requests,
    ).toStrictEqual({
      deadlineMs: 3_000,
      maxPending: 9,
      failFast: true,
      maxInFlight: 3,
    });
  });

  it('logger: log calls reach the given logger', () => {
    const calls: unknown[][] = [];
    const logger: MessageMetaLogger = {
      debug: (...args) => calls.push(['debug', ...args]),
      info: (...args) => calls.push(['info', ...args]),
      warn: (...args) => calls.push(['warn', ...args]),
      error: (...args) => calls.push(['error', ...args]),
    };
    resolve({ logger }).logger.log('warn', 'Connection lost', { attempt: 2 });
    expect(calls).toEqual([['warn', 'Connection lost', { attempt: 2 }]]);
  });

  it('clock', () => {
    const clock = new SimulatedClock();
    expect(resolve({ clock }).clock).toBe(clock);
  });

  it('seed, including 0 and negative integers', () => {
    expect(resolve({ seed: 42 }).seed).toBe(42);
    expect(resolve({ seed: 0 }).seed).toBe(0);
    expect(resolve({ seed: -7 }).seed).toBe(-7);
  });

  it('inspect', () => {
    const inspect = vi.fn();
    expect(resolve({ inspect }).inspect).toBe(inspect);
  });

  it('connectionOptions', () => {
    const connectionOptions = { channelArgs: { 'grpc.max_reconnect_backoff_ms': 2_000 } };
    expect(resolve({ connectionOptions }).connectionOptions).toBe(connectionOptions);
  });

  it('connector', () => {
    const connector = {
      connect: async () => Promise.reject(new Error('unused')),
      isReachable: async () => false,
    } as unknown as Connector;
    expect(resolve({ connector }).connector).toBe(connector);
  });

  it('envConfig: false ignores TEMPORAL_* variables', () => {
    vi.stubEnv('TEMPORAL_ADDRESS', '10.9.9.9:9999');
    vi.stubEnv('TEMPORAL_NAMESPACE', 'from-env');
    try {
      const r = resolveOptions({ envConfig: false });
      expect(r.address).toBe('localhost:7233');
      expect(r.namespace).toBe('default');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('resolveOptions: bad values throw SupervisorOptionsError naming the field, the value and a fix', () => {
  for (const [path] of DURATIONS) {
    it(`${path}: negative, zero, negative string and unparsable string`, () => {
      expectRejected(
        at(path, -1),
        path,
        'received -1',
        'expected a duration of at least',
        `Pass e.g. \`${path}: '`,
      );
      expectRejected(at(path, 0), path, 'received 0', `Pass e.g. \`${path}: '`);
      expectRejected(at(path, '-2s'), path, 'received "-2s"', `Pass e.g. \`${path}: '`);
      expectRejected(at(path, 'soon'), path, 'received "soon"', `Pass e.g. \`${path}: '`);
      expectRejected(at(path, Number.NaN), path, `Pass e.g. \`${path}: '`);
      expectRejected(at(path, Number.POSITIVE_INFINITY), path, `Pass e.g. \`${path}: '`);
    });
  }

  it('names NaN and Infinity as received, not "null"', () => {
    expectRejected({ connectTimeout: Number.NaN }, 'connectTimeout', 'received NaN');
    expectRejected({ backoff: { multiplier: Number.NaN } }, 'backoff.multiplier', 'received NaN');
    expectRejected(
      { healthCheck: { failuresToDisconnect: Number.NaN } },
      'healthCheck.failuresToDisconnect',
      'received NaN',
    );
    expectRejected({ stablePeriod: Number.POSITIVE_INFINITY }, 'stablePeriod', 'received Infinity');
  });

  it('reachabilityInterval below 10 ms', () => {
    expectRejected(
      { reachabilityInterval: 5 },
      'reachabilityInterval',
      'at least 10 ms',
      'received 5',
      'Pass e.g.',
    );
  });

  it('reconnectSpread negative or not a duration', () => {
    expectRejected({ reconnectSpread: -1 }, 'reconnectSpread', 'at least 0 ms', 'received -1');
    expectRejected({ reconnectSpread: 'soon' as never }, 'reconnectSpread', 'a duration', 'Pass e.g.');
  });

  it('non-integer and too small thresholds', () => {
    for (const field of ['failuresToDisconnect', 'successesToRecover'] as const) {
      const path = `healthCheck.${field}`;
      expectRejected(
        { healthCheck: { [field]: 1.5 } },
        path,
        'a whole number of at least 1',
        'received 1.5',
        `Pass e.g. \`${path}: `,
      );
      expectRejected({ healthCheck: { [field]: 0 } }, path, 'received 0');
      expectRejected({ healthCheck: { [field]: -2 } }, path, 'received -2');
      expectRejected({ healthCheck: { [field]: '3' as unknown as number } }, path, 'received "3"');
    }
    expectRejected(
      { requests: { maxPending: 2.5 } },
      'requests.maxPending',
      'at least 0',
      'received 2.5',
      'Pass e.g. `requests.maxPending: 1000`',
    );
    expectRejected({ requests: { maxPending: -1 } }, 'requests.maxPending', 'received -1');
  });

  it('jitter outside [0, 1]', () => {
    expectRejected(
      { backoff: { jitter: 1.5 } },
      'backoff.jitter',
      'a number from 0 to 1',
      'received 1.5',
      'Pass e.g. `backoff.jitter: 0.2`',
    );
    expectRejected({ backoff: { jitter: -0.1 } }, 'backoff.jitter', 'received -0.1');
  });

  it('multiplier below 1 or above 100', () => {
    expectRejected(
      { backoff: { multiplier: 0.5 } },
      'backoff.multiplier',
      'a number from 1 to 100',
      'received 0.5',
      'Pass e.g. `backoff.multiplier: 1.7`',
    );
    expectRejected({ backoff: { multiplier: 101 } }, 'backoff.multiplier', 'received 101');
    expectRejected(
      { backoff: { multiplier: '2' as unknown as number } },
      'backoff.multiplier',
      'received "2"',
    );
  });

  it('maxDelay below initialDelay', () => {
    expectRejected(
      { backoff: { initialDelay: '1s', maxDelay: '500ms' } },
      'backoff.maxDelay',
      'at least backoff.initialDelay (1000 ms)',
      'received "500ms"',
      'Raise backoff.maxDelay or lower backoff.initialDelay',
    );
  });

  it('slowThreshold above timeout', () => {
    expectRejected(
      { healthCheck: { timeout: '1s', slowThreshold: '2s' } },
      'healthCheck.slowThreshold',
      'at most healthCheck.timeout (1000 ms)',
      'received "2s"',
      'Lower healthCheck.slowThreshold or raise healthCheck.timeout',
    );
  });

  it('unknown top-level keys', () => {
    const error = expectRejected({ adress: 'x:1' } as SupervisorOptions, 'adress', 'Unknown option `adress`');
    expect(error.message).toContain('address');
  });

  it.each([
    ['backoff', 'maxDelayMs', 'maxDelay'],
    ['healthCheck', 'intervalMs', 'interval'],
    ['requests', 'timeout', 'deadline'],
    ['envConfig', 'file', 'configFile'],
  ])('unknown nested key %s.%s', (scope, key, known) => {
    const error = expectRejected(
      { [scope]: { [key]: 1 } } as SupervisorOptions,
      `${scope}.${key}`,
      `Known options of \`${scope}\``,
    );
    expect(error.message).toContain(known);
  });

  it('nested option groups that are not objects', () => {
    expectRejected(
      { backoff: 'fast' as never },
      'backoff',
      'an object',
      'received "fast"',
      'Pass `backoff: { … }`',
    );
    expectRejected({ healthCheck: [] as never }, 'healthCheck', 'received []');
    expectRejected({ requests: null as never }, 'requests', 'received null');
    expectRejected({ envConfig: 'yes' as never }, 'envConfig', 'received "yes"');
  });

  it.each(['localhost', 'host:0', 'host:99999', 'http://x:1', '', 'host:', ':7233', 'a b:1', 'host:123456'])(
    'address %j',
    (address) => {
      expectRejected({ address }, 'address', JSON.stringify(address), "`address: 'localhost:7233'`");
    },
  );

  it('address: port range is named for ports 0 and 99999', () => {
    expectRejected({ address: 'host:0' }, 'address', 'a port from 1 to 65535');
    expectRejected({ address: 'host:65536' }, 'address', 'a port from 1 to 65535', '"host:65536"');
  });

  it('empty namespace', () => {
    expectRejected(
      { namespace: '' },
      'namespace',
      'a non-empty string',
      'received ""',
      "`namespace: 'default'`",
    );
  });

  it('unknown healthCheck.method', () => {
    expectRejected(
      { healthCheck: { method: 'ping' as never } },
      'healthCheck.method',
      "one of 'health', 'system-info', 'namespace'",
      'received "ping"',
      "Pass e.g. `healthCheck: { method: 'health' }`",
    );
  });

  it('short apiKey, without ever showing the key', () => {
    for (const apiKey of ['zq9', '', 'Q7']) {
      const error = expectRejected(
        { apiKey },
        'apiKey',
        'at least 4 characters',
        'Pass the API key as a string',
      );
      if (apiKey) expect(error.message).not.toContain(apiKey);
    }
    const error = expectRejected({ apiKey: 987654 as unknown as string }, 'apiKey');
    expect(error.message).not.toContain('987654');
  });

  it('tls that is neither boolean nor object', () => {
    expectRejected({ tls: 'yes' as never }, 'tls', 'received "yes"', '`tls: true`');
  });

  it('non-string metadata values', () => {
    expectRejected(
      { metadata: { 'x-retries': 3 as unknown as string } },
      'metadata.x-retries',
      'a string',
      'received 3',
    );
  });

  it('non-integer seed', () => {
    expectRejected({ seed: 1.5 }, 'seed', 'an integer', 'received 1.5', 'Pass e.g. `seed: 42`');
  });

  it('a clock without the Clock methods', () => {
    expectRejected(
      { clock: { now: () => 0 } as never },
      'clock',
      'now(), setTimeout() and clearTimeout()',
      'SimulatedClock',
    );
  });

  it('inspect that is not a function', () => {
    expectRejected(
      { inspect: 'yes' as never },
      'inspect',
      'a function',
      'received "yes"',
      '`inspect: (event) => …`',
    );
  });

  it('options that are not an object', () => {
    const error = optionsError(null);
    expect(error.field).toBe('options');
    expect(error.message).toContain('received null');
    expect(optionsError('localhost:7233').field).toBe('options');
  });

  it('rejects a non-boolean requests.failFast', () => {
    expectRejected(
      { requests: { failFast: 'yes' as unknown as boolean } },
      'requests.failFast',
      'received "yes"',
    );
  });

  it('rejects metadata that is not an object', () => {
    expectRejected({ metadata: 'abc' as unknown as Record<string, string> }, 'metadata', 'received "abc"');
  });
});

describe('resolveOptions: envconfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'temporal-supervisor-options-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  function writeToml(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  const env = {
    TEMPORAL_ADDRESS: '10.1.2.3:7234',
    TEMPORAL_NAMESPACE: 'ns1',
    TEMPORAL_API_KEY: 'secret-key-123',
  };

  it('reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY (TLS on with an API key)', () => {
    const r = resolveOptions({ envConfig: { env } });
    expect(r.address).toBe('10.1.2.3:7234');
    expect(r.namespace).toBe('ns1');
    expect(r.apiKey).toBe('secret-key-123');
    expect(r.tls).toBe(true);
    expect(r.secrets).toEqual(['secret-key-123']);
  });

  it('a configFile that does not exist is not an error (envconfig ignores ENOENT)', () => {
    const r = resolveOptions({ envConfig: { env, configFile: join(dir, 'does-not-exist.toml') } });
    expect(r.address).toBe('10.1.2.3:7234');
    expect(r.namespace).toBe('ns1');
    expect(r.apiKey).toBe('secret-key-123');
  });

  it('without TEMPORAL_* variables, the defaults apply', () => {
    const r = resolveOptions({ envConfig: { env: {} } });
    expect(r.address).toBe(DEFAULTS.address);
    expect(r.namespace).toBe(DEFAULTS.namespace);
    expect(r.apiKey).toBeUndefined();
    expect(r.tls).toBeUndefined();
  });

  it('reads process.env by default (envConfig left out)', () => {
    vi.stubEnv('TEMPORAL_CONFIG_FILE', join(dir, 'none.toml'));
    vi.stubEnv('TEMPORAL_PROFILE', undefined);
    vi.stubEnv('TEMPORAL_API_KEY', undefined);
    vi.stubEnv('TEMPORAL_ADDRESS', '10.7.7.7:7777');
    vi.stubEnv('TEMPORAL_NAMESPACE', 'from-process-env');
    const r = resolveOptions({});
    expect(r.address).toBe('10.7.7.7:7777');
    expect(r.namespace).toBe('from-process-env');
    expect(resolveOptions({ envConfig: true }).address).toBe('10.7.7.7:7777');
  });

  it('explicit options win over the environment', () => {
    const r = resolveOptions({
      envConfig: { env },
      address: 'explicit.host:7000',
      namespace: 'explicit-ns',
      apiKey: 'explicit-key-9',
      tls: false,
    });
    expect(r.address).toBe('explicit.host:7000');
    expect(r.namespace).toBe('explicit-ns');
    expect(r.apiKey).toBe('explicit-key-9');
    expect(r.tls).toBe(false);
    expect(r.secrets).toEqual(['explicit-key-9']);
  });

  it('explicit metadata is merged over metadata from the environment', () => {
    const r = resolveOptions({
      envConfig: { env: { TEMPORAL_GRPC_META_X_TENANT: 'env-tenant', TEMPORAL_GRPC_META_X_REGION: 'eu' } },
      metadata: { 'x-tenant': 'explicit-tenant' },
    });
    expect(r.metadata).toStrictEqual({ 'x-tenant': 'explicit-tenant', 'x-region': 'eu' });
  });

  it('reads the default profile of a TOML config file', () => {
    const configFile = writeToml(
      'default.toml',
      ['[profile.default]', 'address = "10.0.0.9:7239"', 'namespace = "from-file"', ''].join('\n'),
    );
    const r = resolveOptions({ envConfig: { env: {}, configFile } });
    expect(r.address).toBe('10.0.0.9:7239');
    expect(r.namespace).toBe('from-file');
  });

  it('reads a named profile, with its API key and grpc_meta', () => {
    const configFile = writeToml(
      'profiles.toml',
      [
        '[profile.default]',
        'address = "10.0.0.9:7239"',
        '',
        '[profile.staging]',
        'address = "staging.example.com:7233"',
        'namespace = "staging-ns"',
        'api_key = "staging-api-key"',
        '',
        '[profile.staging.grpc_meta]',
        'x-auth-token = "Bearer staging-token"',
        'x-tenant = "acme"',
        '',
      ].join('\n'),
    );
    const r = resolveOptions({ envConfig: { env: {}, configFile, profile: 'staging' } });
    expect(r.address).toBe('staging.example.com:7233');
    expect(r.namespace).toBe('staging-ns');
    expect(r.apiKey).toBe('staging-api-key');
    expect(r.metadata).toStrictEqual({ 'x-auth-token': 'Bearer staging-token', 'x-tenant': 'acme' });
    expect(r.secrets).toEqual(['staging-api-key', 'Bearer staging-token', 'staging-token']);
  });

  it('finds the file and profile through TEMPORAL_CONFIG_FILE and TEMPORAL_PROFILE; variables beat the file', () => {
    const configFile = writeToml(
      'by-env.toml',
      ['[profile.other]', 'address = "10.0.0.8:7238"', 'namespace = "other-ns"', ''].join('\n'),
    );
    const r = resolveOptions({
      envConfig: {
        env: { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'other', TEMPORAL_NAMESPACE: 'env-ns' },
      },
    });
    expect(r.address).toBe('10.0.0.8:7238');
    expect(r.namespace).toBe('env-ns');
  });

  it('a profile that does not exist is an envConfig error naming it', () => {
    const configFile = writeToml('only-default.toml', '[profile.default]\naddress = "10.0.0.9:7239"\n');
    const error = optionsError({ envConfig: { env: {}, configFile, profile: 'missing' } });
    expect(error.field).toBe('envConfig');
    expect(error.message).toContain("Profile 'missing' not found");
    expect(error.message).toContain('envConfig: false');
  });

  it('a bad address from the environment is reported under envConfig, with the variable named', () => {
    const error = optionsError({ envConfig: { env: { TEMPORAL_ADDRESS: 'localhost' } } });
    expect(error.field).toBe('envConfig');
    expect(error.message).toContain('TEMPORAL_ADDRESS');
    expect(error.message).toContain('"localhost"');
  });

  it('never puts a secret from a malformed config file into the error message', () => {
    const configFile = writeToml(
      'malformed.toml',
      [
        '[profile.default]',
        'address = "10.0.0.1:7233"',
        'api_key = "super-secret-key-999"',
        'namespace = ',
        '',
      ].join('\n'),
    );
    const error = optionsError({ envConfig: { env: {}, configFile } });
    expect(error.field).toBe('envConfig');
    expect(error.message).not.toContain('super-secret-key-999');
  });

  it('a malformed config file is an envConfig error', () => {
    const configFile = writeToml('broken.toml', '[profile.default\naddress = \n');
    const error = optionsError({ envConfig: { env: {}, configFile } });
    expect(error.field).toBe('envConfig');
    expect(error.message).toContain('Invalid TOML');
  });
});

describe('resolveOptions: secrets', () => {
  it('lists the API key, the TLS client key and authorization-like metadata values', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n';
    const r = resolve({
      apiKey: 'api-key-0001',
      tls: { clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from(key) } },
      metadata: {
        'x-authorization': 'Bearer xyz',
        'x-api-key': 'meta-api-key',
        'x-auth-token': 'tok-123456',
        cookie: 'session=abcdef',
        'x-db-password': 'hunter22',
        'x-client-secret': 'shh-secret',
        'x-tenant': 'acme',
      },
    });
    expect(r.secrets).toEqual([
      'api-key-0001',
      key,
      'MIIEvQIBADANBgkq',
      'Bearer xyz',
      'xyz',
      'meta-api-key',
      'tok-123456',
      'session=abcdef',
      'hunter22',
      'shh-secret',
    ]);
    expect(r.secrets).not.toContain('acme');
  });

  it('takes the bare token of any Bearer value, whatever its case', () => {
    expect(resolve({ metadata: { Authorization: 'bearer   tok-abcdef' } }).secrets).toEqual([
      'bearer   tok-abcdef',
      'tok-abcdef',
    ]);
    expect(resolve({ metadata: { authorization: 'Basic dXNlcjpwYXNz' } }).secrets).toEqual([
      'Basic dXNlcjpwYXNz',
    ]);
  });

  it('reads the TLS client key from the environment too', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nKEYDATA\n-----END PRIVATE KEY-----';
    const r = resolveOptions({
      envConfig: {
        env: {
          TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERTDATA',
          TEMPORAL_TLS_CLIENT_KEY_DATA: key,
          TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer env-token',
        },
      },
    });
    expect(r.tls).toMatchObject({ clientCertPair: { key: expect.anything() } });
    expect(r.secrets).toEqual([key, 'Bearer env-token', 'env-token']);
  });

  it('is empty when nothing secret is configured', () => {
    expect(resolve({ tls: true, metadata: { 'x-tenant': 'acme' } }).secrets).toEqual([]);
  });
});

describe('worker options', () => {
  const fails = (workers: unknown) => {
    try {
      resolveOptions({ envConfig: false, workers: workers as SupervisorOptions['workers'] });
    } catch (error) {
      if (isSupervisorOptionsError(error)) return error;
      throw error;
    }
    throw new Error('expected a SupervisorOptionsError');
  };

  it('rejects an unknown key, naming it, the known ones, and where SDK options go', () => {
    const error = fails({
      orders: { taskQueue: 'q', activities: {}, maxConcurrentActivityTaskExecutions: 5 },
    });
    expect(error.field).toBe('workers.orders.maxConcurrentActivityTaskExecutions');
    expect(error.message).toContain('Unknown option `workers.orders.maxConcurrentActivityTaskExecutions`');
    expect(error.message).toContain('taskQueue, workflowsPath');
    expect(error.message).toContain('under `worker`');
  });

  it('rejects an unknown key of restart', () => {
    const error = fails({ orders: { taskQueue: 'q', activities: {}, restart: { max: 3 } } });
    expect(error.field).toBe('workers.orders.restart.max');
    expect(error.message).toContain('maxRestarts, within, delay');
  });

  it('names the field of a duration the SDK cannot parse', () => {
    const error = fails({ orders: { taskQueue: 'q', activities: {}, drainTimeout: 'ten seconds' } });
    expect(error.field).toBe('workers.orders.drainTimeout');
    expect(error.message).toContain('a duration of at least 1 ms');
  });
});
