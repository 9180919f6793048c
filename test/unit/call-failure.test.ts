import { status as grpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type CallFacts, classifyCall, isRetryableReason } from '../../src/runtime/call-failure.js';
import { status, statusCode, statusName } from '../../src/runtime/grpc-status.js';

const facts = (over: Partial<CallFacts>): CallFacts => ({
  status: undefined,
  closedChannel: false,
  namespaceNotFound: false,
  deadlinePassed: false,
  ...over,
});

/** The table of docs/guarantees.md, row by row, written out by hand (not derived from the code). */
const ROWS: [string, Partial<CallFacts>, ReturnType<typeof classifyCall>][] = [
  [
    'CANCELLED by a closed channel, deadline not passed',
    { status: 1, closedChannel: true },
    { reason: 'connection_lost', maybeApplied: true, retryable: true, reportsUnavailable: false },
  ],
  [
    'CANCELLED by a closed channel, deadline passed: still the closed channel',
    { status: 1, closedChannel: true, deadlinePassed: true },
    { reason: 'connection_lost', maybeApplied: true, retryable: true, reportsUnavailable: false },
  ],
  [
    'CANCELLED by our deadline',
    { status: 1, deadlinePassed: true },
    { reason: 'deadline', maybeApplied: true, retryable: false, reportsUnavailable: false },
  ],
  [
    'CANCELLED by someone else (the channel closed under it)',
    { status: 1 },
    { reason: 'connection_lost', maybeApplied: true, retryable: true, reportsUnavailable: false },
  ],
  [
    'RESOURCE_EXHAUSTED',
    { status: 8 },
    { reason: 'server_busy', maybeApplied: false, retryable: true, reportsUnavailable: false },
  ],
  [
    'RESOURCE_EXHAUSTED past the deadline is still busy, not applied',
    { status: 8, deadlinePassed: true },
    { reason: 'server_busy', maybeApplied: false, retryable: true, reportsUnavailable: false },
  ],
  [
    'UNAVAILABLE',
    { status: 14 },
    { reason: 'connection_lost', maybeApplied: true, retryable: true, reportsUnavailable: true },
  ],
  [
    'DEADLINE_EXCEEDED',
    { status: 4 },
    { reason: 'deadline', maybeApplied: true, retryable: false, reportsUnavailable: false },
  ],
  [
    'NOT_FOUND naming the namespace (a restarting server)',
    { status: 5, namespaceNotFound: true },
    {
      reason: 'connection_lost',
      maybeApplied: false,
      retryable: true,
      reportsUnavailable: false,
      detail: 'the server answered that the namespace does not exist (restarting?)',
    },
  ],
  ['NOT_FOUND of a workflow: the caller’s own', { status: 5 }, undefined],
  ['ALREADY_EXISTS: the caller’s own', { status: 6 }, undefined],
  ['INVALID_ARGUMENT: the caller’s own', { status: 3 }, undefined],
  ['PERMISSION_DENIED: the caller’s own', { status: 7 }, undefined],
  ['no status at all: the caller’s own', {}, undefined],
];

describe('the call-failure table', () => {
  for (const [name, given, expected] of ROWS) {
    it(name, () => {
      expect(classifyCall(facts(given))).toStrictEqual(expected);
    });
  }

  it('a row is retryable exactly when creators retry its reason', () => {
    for (const [, given] of ROWS) {
      const row = classifyCall(facts(given));
      if (row) expect(isRetryableReason(row.reason)).toBe(row.retryable);
    }
    expect(isRetryableReason('deadline')).toBe(false);
    expect(isRetryableReason('permanent_failure')).toBe(false);
    expect(isRetryableReason('stopped')).toBe(false);
  });
});

describe('grpc-status', () => {
  it('names every status exactly as grpc-js does', () => {
    const fromGrpc = Object.fromEntries(
      Object.entries(grpcStatus).filter(([name]) => Number.isNaN(Number(name))),
    );
    expect(status).toStrictEqual(fromGrpc);
    expect(Object.keys(status)).toHaveLength(17);
  });

  it('maps names and codes both ways', () => {
    expect(statusName(14)).toBe('UNAVAILABLE');
    expect(statusName(17)).toBeUndefined();
    expect(statusCode('DEADLINE_EXCEEDED')).toBe(4);
    expect(statusCode('NOPE')).toBeUndefined();
  });
});
