/**
 * Every default of the supervisor, in one place: the connection, its health checks and backoff, requests,
 * creators, workers and core log forwarding. docs/api.md and docs/states.md quote these numbers; the table tests
 * in test/unit pin them.
 */
export const DEFAULTS = {
  address: 'localhost:7233',
  namespace: 'default',
  connectTimeoutMs: 5_000,
  backoff: { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 1.7, jitter: 0.2 },
  permanentRetryDelayMs: 30_000,
  stablePeriodMs: 10_000,
  closeTimeoutMs: 5_000,
  healthCheck: {
    method: 'health',
    // A silent network is noticed within interval + slowThreshold (900 ms); docs/connection.md gives the cost.
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
    /** Per queue kind and interval: one DescribeTaskQueue per partition read until the worker is found. */
    pollerCheck: { intervalMs: 30_000, absentForMs: 120_000, partitions: 4 },
  },
  coreLogs: { level: 'WARN', sdkLevel: 'INFO' },
  /** `shutdown()`: how long readiness fails before the stop (lightship's default `shutdownDelay`). */
  readinessDelayMs: 5_000,
} as const;
