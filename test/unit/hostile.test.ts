/**
 * Issue 13: user code is hostile, and bad input is refused at construction (or, per call, by a typed rejection).
 * Each test here failed on the code before its fix.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createSupervisor,
  isSupervisorOptionsError,
  isTemporalUnavailableError,
  type Supervisor,
  type SupervisorOptions,
  systemClock,
} from '../../src/index.js';
import { FakeConnector, failures, flush, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';
import { API_KEY } from '../support/secrets.js';

const running: { supervisor: Supervisor; connector: FakeConnector; clock: ManualClock }[] = [];
afterEach(async () => {
  for (const { supervisor, connector, clock } of running.splice(0))
    await stopOnFakes(supervisor, connector, clock);
  vi.useRealTimers();
});

function setup(options: SupervisorOptions = {}) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
    ...options,
  });
  running.push({ supervisor, connector, clock });
  return { clock, connector, supervisor };
}

/** The `SupervisorOptionsError` that `fn` throws (or rejects with), for its field and message. */
async function optionsError(fn: () => unknown) {
  try {
    await fn();
  } catch (error) {
    if (isSupervisorOptionsError(error)) return error;
    throw error;
  }
  throw new Error('expected a SupervisorOptionsError');
}

function unhandled() {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  const onException = (error: unknown) => seen.push(error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

describe('a logger that throws', () => {
  it('changes no state and no timer: the supervisor reaches backoff, retries, connects and stops', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const escaped = unhandled();
    const boom = () => {
      throw new Error('logger down');
    };
    const rejects = () => Promise.reject(new Error('async logger down'));
    try {
      const { clock, connector, supervisor } = setup({
        logger: { debug: rejects, info: boom, warn: boom, error: boom },
      });
      supervisor.start();
      await flush();
      connector.fail(failures.unavailable);
      await flush();
      expect(supervisor.state).toBe('backoff');
      expect(supervisor.snapshot().attempt).toBe(1);
      clock.advance(200);
      await flush();
      expect(supervisor.state).toBe('connecting');
      connector.succeed();
      await flush();
      expect(supervisor.state).toBe('connected');
      await stopOnFakes(supervisor, connector, clock);
      running.length = 0;
      expect(supervisor.state).toBe('disconnected');
      await new Promise((resolve) => setImmediate(resolve));
      expect(escaped.seen).toStrictEqual([]);
      // Reported as a process warning, once per kind (not once per line).
      const logWarnings = warnings.filter((w) => w.includes('the logger threw'));
      expect(logWarnings.length).toBeGreaterThan(0);
      expect(logWarnings.length).toBeLessThanOrEqual(4);
    } finally {
      escaped.dispose();
      process.off('warning', onWarning);
    }
  });

  it('of a bad shape is refused at construction, naming `logger`', async () => {
    for (const logger of [{}, 42, { info() {} }, null, 'console']) {
      const error = await optionsError(() => createSupervisor({ envConfig: false, logger: logger as never }));
      expect(error.field).toBe('logger');
      expect(error.message).toContain('Pass e.g. `logger: pino()`');
    }
    expect(() => createSupervisor({ envConfig: false, logger: console })).not.toThrow();
  });
});

describe('hostile listeners, inspect observers and connectors', () => {
  it('a listener or inspect observer that throws or rejects changes nothing', async () => {
    const escaped = unhandled();
    try {
      const { connector, supervisor } = setup({
        inspect: () => {
          throw new Error('inspect down');
        },
      });
      supervisor.onStateChange(() => {
        throw new Error('listener down');
      });
      supervisor.onTransition(() => Promise.reject(new Error('async listener down')) as never);
      supervisor.start();
      await flush();
      connector.succeed();
      await flush();
      expect(supervisor.state).toBe('connected');
      await new Promise((resolve) => setImmediate(resolve));
      expect(escaped.seen).toStrictEqual([]);
    } finally {
      escaped.dispose();
    }
  });

  it('a connector without connect or isReachable is refused at construction', async () => {
    for (const connector of [{}, { connect() {} }, 'tcp', null]) {
      const error = await optionsError(() =>
        createSupervisor({ envConfig: false, connector: connector as never }),
      );
      expect(error.field).toBe('connector');
    }
  });

  it('isReachable that rejects is counted as unreachable and reported; the backoff still runs', async () => {
    const escaped = unhandled();
    try {
      const { clock, connector, supervisor } = setup({ reachabilityInterval: 50 });
      connector.isReachable = () => Promise.reject(new Error('dial broke'));
      supervisor.start();
      await flush();
      connector.fail(failures.unavailable);
      await flush();
      expect(supervisor.state).toBe('backoff');
      clock.advance(60);
      await flush();
      clock.advance(60);
      await flush();
      expect(supervisor.state).toBe('connecting');
      expect(escaped.seen).toStrictEqual([]);
    } finally {
      escaped.dispose();
    }
  });

  it('connect that throws, or resolves with something that is not a connection, fails that attempt', async () => {
    const { clock, connector, supervisor } = setup();
    const original = connector.connect.bind(connector);
    connector.connect = () => {
      throw new Error('sync throw');
    };
    supervisor.start();
    await flush();
    expect(supervisor.state).toBe('backoff');
    expect(supervisor.snapshot().lastFailure).toMatchObject({ kind: 'transient', message: 'sync throw' });
    connector.connect = async () => ({ id: 99 }) as never;
    clock.advance(200);
    await flush();
    expect(supervisor.state).toBe('backoff');
    expect(supervisor.snapshot().lastFailure).toMatchObject({ kind: 'permanent', code: 'INVALID_CONNECTOR' });
    connector.connect = original;
  });
});

describe('waitFor and stop', () => {
  it('a waitFor with no timeout rejects when the supervisor stops (it would never be connected)', async () => {
    const { supervisor, connector, clock } = setup();
    supervisor.start();
    await flush();
    const waiting = supervisor.waitFor('connected');
    const stopping = stopOnFakes(supervisor, connector, clock);
    running.length = 0;
    await expect(waiting).rejects.toSatisfy(isTemporalUnavailableError);
    await stopping;
    await expect(supervisor.waitFor(['connected', 'degraded'])).rejects.toMatchObject({ reason: 'stopped' });
    await expect(supervisor.waitFor('disconnected')).resolves.toMatchObject({ state: 'disconnected' });
  });

  it('a bad waitFor timeout rejects, it does not throw', async () => {
    const { supervisor } = setup();
    const pending = supervisor.waitFor('connected', { timeout: 'soon' as never });
    await expect(pending).rejects.toMatchObject({ name: 'SupervisorOptionsError', field: 'timeout' });
  });
});

describe('durations', () => {
  it('over 2³¹−1 ms are refused at construction, naming the field', async () => {
    for (const [options, field] of [
      [{ requests: { deadline: '30d' } }, 'requests.deadline'],
      [{ healthCheck: { interval: 1e10 } }, 'healthCheck.interval'],
      [{ connectTimeout: '25d' }, 'connectTimeout'],
      [{ creators: { orders: { deadline: '30d' } } }, 'creators.orders.deadline'],
      [{ workers: { w: { taskQueue: 'q', activities: {}, drainTimeout: '30d' } } }, 'workers.w.drainTimeout'],
    ] as const) {
      const error = await optionsError(() =>
        createSupervisor({ envConfig: false, ...(options as SupervisorOptions) }),
      );
      expect(error.field).toBe(field);
      expect(error.message).toContain('at most 2147483647 ms');
    }
    expect(() => createSupervisor({ envConfig: false, requests: { deadline: '24d' } })).not.toThrow();
  });

  it('the system clock chains timers beyond 2³¹−1 ms instead of firing after 1 ms', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: number[] = [];
    const far = 2 ** 31 + 5_000;
    systemClock.setTimeout(() => fired.push(Date.now()), far);
    const cleared = systemClock.setTimeout(() => fired.push(-1), far);
    systemClock.clearTimeout(cleared);
    vi.advanceTimersByTime(10);
    expect(fired).toStrictEqual([]);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toStrictEqual([]);
    vi.advanceTimersByTime(far);
    expect(fired).toStrictEqual([far]);
  });
});

describe('connection settings checked at construction', () => {
  const cases: [string, SupervisorOptions, string][] = [
    [
      'a TLS certificate without its key',
      { tls: { clientCertPair: { crt: Buffer.from('C') } as never } },
      'tls.clientCertPair.key',
    ],
    [
      'a TLS key without its certificate',
      { tls: { clientCertPair: { key: Buffer.from('K') } as never } },
      'tls.clientCertPair.crt',
    ],
    ['an API key with a newline', { apiKey: `${API_KEY}\n` }, 'apiKey'],
    ['a metadata value with CR/LF', { metadata: { 'x-team': 'a\r\nInjected: 1' } }, 'metadata.x-team'],
    ['a metadata key that is no header name', { metadata: { 'x team': 'a' } }, 'metadata.x team'],
    ['a binary metadata key with a string', { metadata: { 'x-trace-bin': 'a' } }, 'metadata.x-trace-bin'],
    [
      'an API key and an Authorization entry',
      { apiKey: API_KEY, metadata: { Authorization: 'Bearer x' } },
      'apiKey',
    ],
    ['a blank namespace', { namespace: '  ' }, 'namespace'],
    ['a namespace with spaces around it', { namespace: ' default' }, 'namespace'],
  ];
  for (const [name, options, field] of cases) {
    it(`refuses ${name}`, async () => {
      const error = await optionsError(() => createSupervisor({ envConfig: false, ...options }));
      expect(error.field).toBe(field);
      expect(error.message).not.toContain(API_KEY);
    });
  }
});

describe('per-call options', () => {
  async function served() {
    const context = setup({ creators: { orders: {} } });
    context.supervisor.start();
    await flush();
    context.connector.succeed();
    await flush();
    return context;
  }
  const work = async () => 'done';

  it('reject the call with a typed error naming the field, never throw or misread', async () => {
    const { supervisor } = await served();
    const call = (options: object) => supervisor.withClient(work, options as never);
    for (const [options, field] of [
      [{ timeout: 'abc' }, 'timeout'],
      [{ timeout: -5 }, 'timeout'],
      [{ timeout: '30d' }, 'timeout'],
      [{ deadline: Number.NaN }, 'deadline'],
      [{ deadline: 'tomorrow' }, 'deadline'],
      [{ deadline: new Date('nope') }, 'deadline'],
      [{ failFast: 'no' }, 'failFast'],
      [{ signal: {} }, 'signal'],
    ] as const) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = call(options);
      }).not.toThrow();
      await expect(pending).rejects.toMatchObject({ name: 'SupervisorOptionsError', field });
    }
    await expect(supervisor.withClient('nope' as never)).rejects.toMatchObject({ field: 'fn' });
    await expect(call({ timeout: '1s' })).resolves.toBe('done');
  });

  it('an empty requestId is refused (it would silently disable exactly-once)', async () => {
    const { supervisor } = await served();
    const orders = supervisor.creator('orders');
    const start = (call: object) =>
      orders.start('wf', { workflowId: 'w', taskQueue: 'q', args: [] }, call as never);
    await expect(start({ requestId: '' })).rejects.toMatchObject({ field: 'requestId' });
    await expect(start({ requestId: 'x'.repeat(256) })).rejects.toMatchObject({ field: 'requestId' });
    await expect(start({ failFast: 'no' })).rejects.toMatchObject({ field: 'failFast' });
    await expect(start({ requestId: 'r-1' })).resolves.toMatchObject({ requestId: 'r-1' });
  });

  it('a request released after its deadline passed is rejected as never sent (maybeApplied false)', async () => {
    const { supervisor, connector, clock } = setup();
    supervisor.start();
    await flush();
    const called: string[] = [];
    const request = supervisor.withClient(
      async () => {
        called.push('sent');
        return 'done';
      },
      { timeout: 1_000 },
    );
    request.catch(() => {});
    clock.advance(999);
    // The release and the deadline race: the clock moves past the deadline in the same turn as the release.
    supervisor.onStateChange(({ to }) => {
      if (to === 'connected') clock.advance(5);
    });
    connector.succeed();
    await flush();
    await expect(request).rejects.toMatchObject({ reason: 'deadline', maybeApplied: false });
    expect(called).toStrictEqual([]);
  });
});

describe('the reachability race', () => {
  it('an attempt refused just before the port opened retries at the first dial, once, not after the backoff', async () => {
    const { clock, connector, supervisor } = setup({ reachabilityInterval: 250 });
    supervisor.start();
    await flush();
    connector.reachable = true; // the port opened right after the refusal
    connector.fail(failures.unavailable);
    await flush();
    // The first dial finds the port open: retry at once, not after the ~100 ms backoff… of attempt 1, nor later.
    expect(supervisor.state).toBe('connecting');
    expect(connector.attempts).toHaveLength(2);
    // An impostor that accepts TCP and refuses every handshake: the second time, the backoff is waited out.
    connector.fail(failures.unavailable);
    await flush();
    expect(supervisor.state).toBe('backoff');
    clock.advance(supervisor.snapshot().retryDelayMs - 1);
    await flush();
    expect(supervisor.state).toBe('backoff');
    clock.advance(1);
    await flush();
    expect(supervisor.state).toBe('connecting');
    expect(connector.attempts).toHaveLength(3);
  });
});

describe('onRequest', () => {
  it('reports each request: started, late after waiting, rejected with its reason', async () => {
    const { clock, connector, supervisor } = setup({ creators: { orders: {} } });
    const seen: string[] = [];
    supervisor.onRequest(({ source, outcome, reason }) =>
      seen.push(`${source} ${outcome}${reason ? ` ${reason}` : ''}`),
    );
    supervisor.start();
    await flush();
    const waiting = supervisor.withClient(async () => 'ok', { timeout: 5_000 });
    await expect(supervisor.withClient(async () => 'ok', { failFast: true })).rejects.toMatchObject({
      reason: 'fail_fast',
    });
    connector.succeed();
    await expect(waiting).resolves.toBe('ok');
    await expect(supervisor.withClient(async () => 'ok')).resolves.toBe('ok');
    await supervisor.creator('orders').start('wf', { workflowId: 'r-1', taskQueue: 'q', args: [] });
    expect(seen).toStrictEqual([
      'client rejected fail_fast',
      'client late',
      'client started',
      'creator:orders started',
    ]);
    expect(clock.now()).toBe(0);
  });
});
