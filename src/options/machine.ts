import type { ConnectionConfig } from '../../machines/connection.types.js';
import { duration, fail, integer, numberIn, objectOption } from './check.js';
import { DEFAULTS } from './defaults.js';
import type { BackoffOptions, HealthCheckMethod, HealthCheckOptions, SupervisorOptions } from './types.js';

const BACKOFF_KEYS = [
  'initialDelay',
  'maxDelay',
  'multiplier',
  'jitter',
] satisfies readonly (keyof BackoffOptions)[];
const HEALTH_CHECK_KEYS = [
  'method',
  'interval',
  'degradedInterval',
  'timeout',
  'slowThreshold',
  'failuresToDisconnect',
  'successesToRecover',
] satisfies readonly (keyof HealthCheckOptions)[];
const HEALTH_METHODS: readonly HealthCheckMethod[] = ['health', 'system-info', 'namespace', 'history'];

/** The connection machine's timings and thresholds, and the health-check method, from the options. */
export function resolveMachineConfig(options: SupervisorOptions): {
  machine: ConnectionConfig;
  healthCheckMethod: HealthCheckMethod;
} {
  const backoff = objectOption('backoff', options.backoff, BACKOFF_KEYS);
  const health = objectOption('healthCheck', options.healthCheck, HEALTH_CHECK_KEYS);
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
  const method: HealthCheckMethod = health.method ?? DEFAULTS.healthCheck.method;
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
    reconnectSpreadMs: duration('reconnectSpread', options.reconnectSpread, DEFAULTS.reconnectSpreadMs, 0),
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

  return { machine, healthCheckMethod: method };
}
