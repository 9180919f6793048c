/**
 * The dispatcher's numbers and its failure table, written from docs/outbox.md ("The dispatcher"), not from
 * the code: each row is a concrete value the doc states.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { PayloadConverterError, ValueError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { dispatcherPollDelayMs, dispatcherRetryDelayMs } from '../../machines/dispatcher.machine.js';
import { TemporalUnavailableError, WorkflowConflictError } from '../../src/index.js';
import { classifyDispatchError, intentRetryDelayMs } from '../../src/outbox/classify.js';
import { OUTBOX_DEFAULTS } from '../../src/outbox/options.js';

describe('docs/outbox.md: defaults', () => {
  it.each([
    ['leaseMs', 30_000],
    ['dispatchTimeoutMs', 10_000],
    ['pollIntervalMs', 5_000],
    ['batchSize', 100],
    ['concurrency', 10],
    ['retryBaseMs', 1_000],
    ['retryMaxMs', 60_000],
    ['drainRetryBaseMs', 500],
    ['drainRetryMaxMs', 30_000],
    ['maxPayloadBytes', 2 * 1024 * 1024],
  ] as const)('%s is %d', (key, value) => {
    expect(OUTBOX_DEFAULTS[key]).toBe(value);
  });
});

describe('docs/outbox.md: retry delay of the dispatcher (500 ms doubling, capped at 30 s)', () => {
  const base = { retryBaseMs: 500, retryMaxMs: 30_000 };
  it.each([
    [1, 500],
    [2, 1_000],
    [3, 2_000],
    [4, 4_000],
    [5, 8_000],
    [6, 16_000],
    [7, 30_000],
    [8, 30_000],
    [50, 30_000],
  ])('after failed drain %d: %d ms', (failures, expected) => {
    expect(dispatcherRetryDelayMs({ ...base, failures })).toBe(expected);
  });
});

describe('docs/outbox.md: poll delay in idle (min of the poll interval and the next due intent)', () => {
  it.each([
    [undefined, 5_000],
    [12_000, 5_000],
    [1_200, 1_200],
    [0, 0],
  ])('next due in %s ms: %d ms', (nextDueInMs, expected) => {
    expect(dispatcherPollDelayMs({ pollIntervalMs: 5_000, nextDueInMs })).toBe(expected);
  });
});

describe('docs/outbox.md: retry delay of one intent (1 s doubling to 60 s, ±20 % jitter)', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [20, 60_000],
  ])('after attempt %d: %d ms nominal, within ±20 %%', (attempts, nominal) => {
    expect(intentRetryDelayMs(attempts, 1_000, 60_000, () => 0.5)).toBe(nominal);
    expect(intentRetryDelayMs(attempts, 1_000, 60_000, () => 0)).toBe(Math.round(nominal * 0.8));
    expect(intentRetryDelayMs(attempts, 1_000, 60_000, () => 0.999_999)).toBeLessThanOrEqual(nominal * 1.2);
  });
});

const unavailable = (reason: TemporalUnavailableError['reason'], maybeApplied: boolean) =>
  new TemporalUnavailableError('unavailable', {
    reason,
    state: 'backoff',
    attempt: 1,
    lastFailure: undefined,
    retryAfterMs: undefined,
    maybeApplied,
  });
const grpc = (code: number, message: string) =>
  new ServiceError('Failed to start Workflow', {
    cause: Object.assign(new Error(`${code} ${message}`), { code }),
  });

describe('docs/outbox.md: what happens to one intent whose start fails', () => {
  it.each([
    [
      'WorkflowConflictError',
      new WorkflowConflictError('taken', {
        workflowId: 'w',
        requestId: 'r',
        cause: new WorkflowExecutionAlreadyStartedError('started', 'w', 't'),
      }),
      { kind: 'failed', reason: 'ALREADY_STARTED' },
    ],
    ['unavailable: fail_fast', unavailable('fail_fast', false), { kind: 'unavailable' }],
    ['unavailable: deadline, maybe applied', unavailable('deadline', true), { kind: 'unavailable' }],
    ['unavailable: connection_lost', unavailable('connection_lost', true), { kind: 'unavailable' }],
    ['unavailable: server_busy', unavailable('server_busy', false), { kind: 'unavailable' }],
    ['unavailable: stopped', unavailable('stopped', false), { kind: 'unavailable' }],
    [
      'INVALID_ARGUMENT about size',
      grpc(grpcStatus.INVALID_ARGUMENT, 'INVALID_ARGUMENT: Blob data size exceeds limit.'),
      { kind: 'failed', reason: 'PAYLOAD_TOO_LARGE' },
    ],
    [
      'INVALID_ARGUMENT otherwise',
      grpc(grpcStatus.INVALID_ARGUMENT, 'INVALID_ARGUMENT: WorkflowId is not set on request.'),
      { kind: 'failed', reason: 'INVALID_REQUEST' },
    ],
    ['ValueError', new ValueError('Unable to convert'), { kind: 'failed', reason: 'ARGS_NOT_SERIALIZABLE' }],
    [
      'PayloadConverterError',
      new PayloadConverterError('no converter'),
      { kind: 'failed', reason: 'ARGS_NOT_SERIALIZABLE' },
    ],
    ['an unknown error', new Error('something else'), { kind: 'retry' }],
    ['gRPC INTERNAL', grpc(grpcStatus.INTERNAL, 'INTERNAL: oops'), { kind: 'retry' }],
  ])('%s → %o', (_name, error, verdict) => {
    expect(classifyDispatchError(error)).toMatchObject(verdict);
  });
});
