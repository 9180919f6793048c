import { ServiceError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { FailureInfo } from '../../machines/failure.js';
import { toFailureInfo } from '../../machines/failure.js';
import {
  ConnectionFailureError,
  isSupervisorOptionsError,
  isTemporalUnavailableError,
  SupervisorOptionsError,
  SupervisorTimeoutError,
  TemporalUnavailableError,
  type TemporalUnavailableErrorFields,
} from '../../src/errors.js';
import { createRedactor, redactFailure } from '../../src/logging/redact.js';
import { classifyFailure, grpcStatusOf, isUnavailableStatus } from '../../src/runtime/classify.js';
import { status } from '../../src/runtime/grpc-status.js';

const STATUS_NAMES: Record<number, string> = {
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  12: 'UNIMPLEMENTED',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/** An error shaped like @grpc/grpc-js's ServiceError: an Error with `code`, `details` and `metadata`. */
function grpcError(code: number, details = 'something went wrong'): Error {
  const name = STATUS_NAMES[code] ?? `STATUS_${code}`;
  return Object.assign(new Error(`${code} ${name}: ${details}`), {
    code,
    details,
    metadata: { internalRepr: new Map(), options: {} },
  });
}

/** What the Temporal client throws: its ServiceError with the gRPC error as `cause`. */
function sdkServiceError(code: number, details = 'something went wrong'): ServiceError {
  return new ServiceError('Failed to start Workflow', { cause: grpcError(code, details) });
}

describe('classifyFailure: gRPC statuses', () => {
  const transient = [14, 4, 8, 2];
  const permanent = [16, 7, 5, 3, 9, 12];

  for (const code of transient) {
    const name = STATUS_NAMES[code]!;
    it(`classifies a grpc-js error with status ${code} (${name}) as transient`, () => {
      expect(classifyFailure(grpcError(code, 'No connection established'))).toStrictEqual({
        kind: 'transient',
        code: name,
        grpcCode: code,
        name: 'Error',
        message: `${code} ${name}: No connection established`,
      });
    });

    it(`classifies the SDK's ServiceError caused by status ${code} (${name}) as transient`, () => {
      const error = sdkServiceError(code, 'No connection established');
      expect(error.name).toBe('ServiceError');
      expect(classifyFailure(error)).toStrictEqual({
        kind: 'transient',
        code: name,
        grpcCode: code,
        name: 'ServiceError',
        message: `Failed to start Workflow: ${code} ${name}: No connection established`,
      });
    });
  }

  for (const code of permanent) {
    const name = STATUS_NAMES[code]!;
    it(`classifies a grpc-js error with status ${code} (${name}) as permanent`, () => {
      expect(classifyFailure(grpcError(code, 'request refused'))).toStrictEqual({
        kind: 'permanent',
        code: name,
        grpcCode: code,
        name: 'Error',
        message: `${code} ${name}: request refused`,
      });
    });

    it(`classifies the SDK's ServiceError caused by status ${code} (${name}) as permanent`, () => {
      expect(classifyFailure(sdkServiceError(code, 'request refused'))).toStrictEqual({
        kind: 'permanent',
        code: name,
        grpcCode: code,
        name: 'ServiceError',
        message: `Failed to start Workflow: ${code} ${name}: request refused`,
      });
    });
  }

  it('classifies NamespaceNotFoundError as permanent NAMESPACE_NOT_FOUND', () => {
    const error = new NamespaceNotFoundError('missing-ns');
    expect(classifyFailure(error)).toStrictEqual({
      kind: 'permanent',
      code: 'NAMESPACE_NOT_FOUND',
      grpcCode: 5,
      name: 'NamespaceNotFoundError',
      message: "Namespace not found: 'missing-ns'",
    });
  });
});

describe('classifyFailure: TLS', () => {
  const messages = [
    '14 UNAVAILABLE: No connection established. Last error: Error: 80B8E4E3F87F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
    'write EPROTO 4057F6F4B47F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
    'wrong version number',
    'unable to verify the first certificate',
    'self-signed certificate in certificate chain',
    "Hostname/IP does not match certificate's altnames",
    'error:0A000086:SSL routines::certificate verify failed',
  ];

  for (const message of messages) {
    it(`classifies ${JSON.stringify(message.slice(0, 60))} as permanent TLS_ERROR`, () => {
      expect(classifyFailure(new Error(message))).toStrictEqual({
        kind: 'permanent',
        code: 'TLS_ERROR',
        name: 'Error',
        message,
      });
    });
  }

  it('puts TLS before the gRPC status: UNAVAILABLE caused by a TLS failure is permanent', () => {
    const error = sdkServiceError(
      14,
      'No connection established. Last error: SSL routines::wrong version number',
    );
    const failure = classifyFailure(error);
    expect(failure.kind).toBe('permanent');
    expect(failure.code).toBe('TLS_ERROR');
    expect(failure.name).toBe('ServiceError');
  });

  it('finds a TLS message in the cause chain', () => {
    const error = new Error('connect failed', { cause: new Error('unable to verify the first certificate') });
    expect(classifyFailure(error)).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR' });
  });

  it('does not take words that merely contain "tls" or "ssl" for TLS errors', () => {
    expect(classifyFailure(new Error('settlsment bassline failed'))).toMatchObject({
      kind: 'transient',
      code: 'UNKNOWN',
    });
  });
});

describe('classifyFailure: other errors', () => {
  it("classifies the client's connect timeout as transient DEADLINE_EXCEEDED", () => {
    expect(classifyFailure(new Error('Failed to connect before the deadline'))).toStrictEqual({
      kind: 'transient',
      code: 'DEADLINE_EXCEEDED',
      grpcCode: 4,
      name: 'Error',
      message: 'Failed to connect before the deadline',
    });
  });

  it('classifies an AbortError as transient CANCELLED', () => {
    const error = new DOMException('This operation was aborted', 'AbortError');
    expect(classifyFailure(error)).toStrictEqual({
      kind: 'transient',
      code: 'CANCELLED',
      grpcCode: 1,
      name: 'AbortError',
      message: 'This operation was aborted',
    });
  });

  it('classifies unknown errors as transient UNKNOWN, keeping name and message', () => {
    class TransportError extends Error {
      override name = 'TransportError';
    }
    expect(classifyFailure(new Error('boom'))).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'boom',
    });
    expect(classifyFailure(new TransportError('socket hang up'))).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'TransportError',
      message: 'socket hang up',
    });
  });

  it('ignores string codes such as Node system errors as statuses, and reads a refused connection as UNAVAILABLE', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' });
    expect(classifyFailure(error)).toStrictEqual({
      kind: 'transient',
      code: 'UNAVAILABLE',
      grpcCode: 14,
      name: 'Error',
      message: 'connect ECONNREFUSED 127.0.0.1:7233',
    });
    expect(classifyFailure(Object.assign(new Error('disk on fire'), { code: 'EIO' }))).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'disk on fire',
    });
  });

  it("reads core's status-less TransportErrors (a worker's native connection)", () => {
    const transport = (message: string) => Object.assign(new Error(message), { name: 'TransportError' });
    // Messages as @temporalio/worker 1.24 reports them (seen against the dev server).
    expect(
      classifyFailure(
        transport(
          'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:33831, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))',
        ),
      ),
    ).toMatchObject({ kind: 'transient', code: 'UNAVAILABLE', grpcCode: 14, name: 'TransportError' });
    expect(
      classifyFailure(
        transport(
          'Namespace nope-ns was not found or otherwise could not be described: Status { code: NotFound, message: "Namespace nope-ns is not found." }',
        ),
      ),
    ).toMatchObject({ kind: 'permanent', code: 'NAMESPACE_NOT_FOUND', grpcCode: 5 });
    // The same words while the server is down (Worker.create after 10-15 s): an outage, not a missing namespace.
    expect(
      classifyFailure(
        transport(
          'Namespace default was not found or otherwise could not be described: Status { code: Unavailable, message: "tcp connect error" }',
        ),
      ),
    ).toMatchObject({ kind: 'transient', code: 'UNAVAILABLE', grpcCode: 14 });
    expect(
      classifyFailure(transport('Status { code: DeadlineExceeded, message: "timeout expired" }')),
    ).toMatchObject({ kind: 'transient', code: 'DEADLINE_EXCEEDED', grpcCode: 4 });
    expect(classifyFailure(transport('Status { code: Unauthenticated, message: "bad key" }'))).toMatchObject({
      kind: 'permanent',
      code: 'UNAUTHENTICATED',
    });
  });

  it('classifies non-Error values as transient UNKNOWN named Error', () => {
    expect(classifyFailure('plain string failure')).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'plain string failure',
    });
    expect(classifyFailure(42)).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: '42',
    });
    expect(classifyFailure(undefined)).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'undefined',
    });
    expect(classifyFailure(null)).toStrictEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'null',
    });
  });

  it('classifies a plain object with a gRPC code by its code', () => {
    const failure = classifyFailure({ code: 7, details: 'nope' });
    expect(failure).toMatchObject({
      kind: 'permanent',
      code: 'PERMISSION_DENIED',
      grpcCode: 7,
      name: 'Error',
    });
  });

  it('joins the messages of the cause chain', () => {
    const error = new Error('outer', { cause: new Error('middle', { cause: 'innermost' }) });
    expect(classifyFailure(error).message).toBe('outer: middle: innermost');
  });

  it('cuts messages to their first line', () => {
    const error = new Error('first line\n    at stack frame\nsecond line');
    expect(classifyFailure(error).message).toBe('first line');
  });

  it('cuts long messages to 300 characters ending with an ellipsis', () => {
    const failure = classifyFailure(new Error('x'.repeat(1_000)));
    expect(failure.message).toHaveLength(300);
    expect(failure.message).toBe(`${'x'.repeat(299)}…`);
    expect(classifyFailure(new Error('y'.repeat(300))).message).toBe('y'.repeat(300));
  });

  it('passes the failure of a ConnectionFailureError through unchanged', () => {
    const failure: FailureInfo = {
      kind: 'permanent',
      code: 'NAMESPACE_NOT_FOUND',
      grpcCode: 5,
      name: 'NamespaceNotFoundError',
      message: "Namespace 'x' does not exist on localhost:7233",
    };
    // Its own message would classify differently (transient, UNKNOWN) if it were not passed through.
    const error = new ConnectionFailureError(failure, { cause: grpcError(14) });
    expect(classifyFailure(error)).toBe(failure);
  });
});

describe('grpcStatusOf', () => {
  it('reads the code of the error itself', () => {
    expect(grpcStatusOf(grpcError(14))).toBe(14);
    expect(grpcStatusOf({ code: 0 })).toBe(0);
    expect(grpcStatusOf({ code: 16 })).toBe(16);
  });

  it('walks the cause chain', () => {
    expect(grpcStatusOf(sdkServiceError(7))).toBe(7);
    const deep = new Error('a', {
      cause: new Error('b', { cause: new Error('c', { cause: grpcError(9) }) }),
    });
    expect(grpcStatusOf(deep)).toBe(9);
  });

  it('takes the outermost code', () => {
    const outer = Object.assign(new Error('outer'), { code: 4, cause: grpcError(14) });
    expect(grpcStatusOf(outer)).toBe(4);
  });

  it('ignores codes that are not gRPC statuses', () => {
    expect(grpcStatusOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(grpcStatusOf({ code: 17 })).toBeUndefined();
    expect(grpcStatusOf({ code: -1 })).toBeUndefined();
    expect(grpcStatusOf(Object.assign(new Error('x'), { code: 'E', cause: { code: 3 } }))).toBe(3);
  });

  it('returns undefined for values without a status', () => {
    expect(grpcStatusOf(new Error('x'))).toBeUndefined();
    expect(grpcStatusOf(undefined)).toBeUndefined();
    expect(grpcStatusOf(null)).toBeUndefined();
    expect(grpcStatusOf('14')).toBeUndefined();
    expect(grpcStatusOf(14)).toBeUndefined();
  });

  it('stops on a cyclic cause chain', () => {
    const a: { cause?: unknown } = {};
    const b = { cause: a };
    a.cause = b;
    expect(grpcStatusOf(a)).toBeUndefined();
    expect(classifyFailure(a)).toMatchObject({ kind: 'transient', code: 'UNKNOWN' });
  });

  it('stops after 8 levels', () => {
    let error: unknown = grpcError(14);
    for (let i = 0; i < 7; i++) error = new Error(`wrap ${i}`, { cause: error });
    expect(grpcStatusOf(error)).toBe(14);
    error = new Error('one more', { cause: error });
    expect(grpcStatusOf(error)).toBeUndefined();
  });
});

describe('isUnavailableStatus', () => {
  it('is true for UNAVAILABLE and DEADLINE_EXCEEDED, anywhere in the chain', () => {
    expect(status.UNAVAILABLE).toBe(14);
    expect(status.DEADLINE_EXCEEDED).toBe(4);
    expect(isUnavailableStatus(grpcError(14))).toBe(true);
    expect(isUnavailableStatus(sdkServiceError(4))).toBe(true);
  });

  it('is false for other statuses and for errors without one', () => {
    for (const code of [0, 1, 2, 5, 7, 8, 13, 16]) expect(isUnavailableStatus(grpcError(code))).toBe(false);
    expect(isUnavailableStatus(new Error('Failed to connect before the deadline'))).toBe(false);
    expect(isUnavailableStatus(undefined)).toBe(false);
  });
});

describe('TemporalUnavailableError', () => {
  const lastFailure: FailureInfo = {
    kind: 'transient',
    code: 'UNAVAILABLE',
    grpcCode: 14,
    name: 'ServiceError',
    message: '14 UNAVAILABLE: Connection refused',
  };
  const fields: TemporalUnavailableErrorFields = {
    reason: 'deadline',
    state: 'backoff',
    attempt: 3,
    lastFailure,
    retryAfterMs: 1_200,
    maybeApplied: false,
  };

  it('carries name, code, gRPC status and every field', () => {
    const error = new TemporalUnavailableError('Temporal is unavailable', fields);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TemporalUnavailableError');
    expect(error.message).toBe('Temporal is unavailable');
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.grpcStatus).toBe(14);
    expect(error.reason).toBe('deadline');
    expect(error.state).toBe('backoff');
    expect(error.attempt).toBe(3);
    expect(error.lastFailure).toBe(lastFailure);
    expect(error.retryAfterMs).toBe(1_200);
    expect(error.maybeApplied).toBe(false);
    expect(String(error)).toBe('TemporalUnavailableError: Temporal is unavailable');
  });

  it('keeps its cause, and has none when none is given', () => {
    const cause = sdkServiceError(14);
    const withCause = new TemporalUnavailableError('lost', { ...fields, reason: 'connection_lost', cause });
    expect(withCause.cause).toBe(cause);
    const without = new TemporalUnavailableError('no', fields);
    expect('cause' in without).toBe(false);
  });

  it('serializes to plain data without the cause object', () => {
    const cause = sdkServiceError(14);
    (cause as unknown as { self: unknown }).self = cause;
    const error = new TemporalUnavailableError('lost', { ...fields, maybeApplied: true, cause });
    const json = error.toJSON();
    expect(json).toStrictEqual({
      name: 'TemporalUnavailableError',
      message: 'lost',
      code: 'UNAVAILABLE',
      grpcStatus: 14,
      reason: 'deadline',
      state: 'backoff',
      attempt: 3,
      lastFailure,
      retryAfterMs: 1_200,
      maybeApplied: true,
      request: undefined,
    });
    expect('cause' in json).toBe(false);
    // A cyclic cause does not break JSON.stringify.
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual(JSON.parse(JSON.stringify(json)));
  });

  it('is recognised by isTemporalUnavailableError, lookalikes are not', () => {
    expect(isTemporalUnavailableError(new TemporalUnavailableError('x', fields))).toBe(true);
    expect(isTemporalUnavailableError(new Error('x'))).toBe(false);
    expect(isTemporalUnavailableError({ name: 'TemporalUnavailableError', code: 'UNAVAILABLE' })).toBe(false);
    expect(isTemporalUnavailableError(undefined)).toBe(false);
  });
});

describe('SupervisorOptionsError, ConnectionFailureError, SupervisorTimeoutError', () => {
  it('SupervisorOptionsError is a named TypeError with its field', () => {
    const error = new SupervisorOptionsError('backoff.jitter', 'Invalid option `backoff.jitter`');
    expect(error).toBeInstanceOf(TypeError);
    expect(error.name).toBe('SupervisorOptionsError');
    expect(error.field).toBe('backoff.jitter');
    expect(isSupervisorOptionsError(error)).toBe(true);
    expect(isSupervisorOptionsError(new TypeError('x'))).toBe(false);
  });

  it('ConnectionFailureError names its code in its message and keeps its cause', () => {
    const failure: FailureInfo = { kind: 'transient', code: 'UNAVAILABLE', name: 'Error', message: 'down' };
    const cause = grpcError(14);
    const error = new ConnectionFailureError(failure, { cause });
    expect(error.name).toBe('ConnectionFailureError');
    expect(error.message).toBe('UNAVAILABLE: down');
    expect(error.failure).toBe(failure);
    expect(error.cause).toBe(cause);
    // The statechart reads the failure back through toFailureInfo.
    expect(toFailureInfo(error)).toBe(failure);
  });

  it('SupervisorTimeoutError carries its fields', () => {
    const snapshot = { value: 'backoff' };
    const error = new SupervisorTimeoutError('waited too long', {
      expected: ['connected'],
      state: 'backoff',
      timeoutMs: 500,
      snapshot,
    });
    expect(error.name).toBe('SupervisorTimeoutError');
    expect(error.expected).toEqual(['connected']);
    expect(error.state).toBe('backoff');
    expect(error.timeoutMs).toBe(500);
    expect(error.snapshot).toBe(snapshot);
  });
});

describe('createRedactor', () => {
  it('removes every occurrence of every secret', () => {
    const redact = createRedactor(['api-key-123', 'token-xyz']);
    expect(redact('key api-key-123, again api-key-123; token token-xyz')).toBe(
      'key [REDACTED], again [REDACTED]; token [REDACTED]',
    );
  });

  it('replaces the longest secret first when one contains another', () => {
    const redact = createRedactor(['abcd', 'Bearer abcdefgh', 'abcdefgh']);
    expect(redact('auth: Bearer abcdefgh')).toBe('auth: [REDACTED]');
    expect(redact('bare abcdefgh and abcd')).toBe('bare [REDACTED] and [REDACTED]');
  });

  it('treats secrets literally, not as patterns', () => {
    const redact = createRedactor(['a.b*c+(d']);
    expect(redact('axbbbc+(d a.b*c+(d')).toBe('axbbbc+(d [REDACTED]');
  });

  it('merges occurrences that overlap or touch into one mark', () => {
    expect(createRedactor(['abab'])('abababab')).toBe('[REDACTED]');
    expect(createRedactor(['abcd'])('abcd-abcd')).toBe('[REDACTED]-[REDACTED]');
  });

  it('leaves no part of overlapping secrets in clear', () => {
    const redact = createRedactor(['secret-key', 'key-1234']);
    const out = redact('value secret-key-1234 end');
    expect(out).not.toContain('1234');
    expect(out).toBe('value [REDACTED] end');
  });

  it('ignores secrets shorter than 4 characters, and the empty string', () => {
    const redact = createRedactor(['', 'abc', 'xyz']);
    expect(redact('abc xyz abcd')).toBe('abc xyz abcd');
    expect(createRedactor(['abcd'])('abc abcd')).toBe('abc [REDACTED]');
  });

  it('leaves text without secrets untouched', () => {
    const text = 'nothing to hide here: 14 UNAVAILABLE';
    expect(createRedactor(['super-secret'])(text)).toBe(text);
    expect(createRedactor([])(text)).toBe(text);
  });

  it('handles duplicate secrets', () => {
    expect(createRedactor(['dupe-secret', 'dupe-secret'])('x dupe-secret y')).toBe('x [REDACTED] y');
  });
});

describe('redactFailure', () => {
  const failure: FailureInfo = {
    kind: 'permanent',
    code: 'UNAUTHENTICATED',
    grpcCode: 16,
    name: 'ServiceError',
    message: 'Request unauthorized: bad key tok-9876',
  };

  it('scrubs the message and keeps every other field', () => {
    const out = redactFailure(failure, createRedactor(['tok-9876']));
    expect(out).toStrictEqual({ ...failure, message: 'Request unauthorized: bad key [REDACTED]' });
    expect(failure.message).toContain('tok-9876');
  });

  it('returns the same object when there is nothing to scrub', () => {
    expect(redactFailure(failure, createRedactor(['other-secret']))).toBe(failure);
  });

  it('scrubs a secret from a classified failure end to end', () => {
    const error = sdkServiceError(16, 'invalid API key "my-api-key-0001"');
    const out = redactFailure(classifyFailure(error), createRedactor(['my-api-key-0001']));
    expect(out.kind).toBe('permanent');
    expect(out.message).toBe('Failed to start Workflow: 16 UNAUTHENTICATED: invalid API key "[REDACTED]"');
  });

  it('hides a secret that straddles the 300-character cut', () => {
    const secret = 'sk-live-0123456789abcdef';
    const error = new Error(`${'x'.repeat(280)} key=${secret}`);
    const out = classifyFailure(error, createRedactor([secret]));
    expect(out.message).not.toContain('sk-live');
  });
});

describe('outbox error guards: brands shared by every copy of the package', () => {
  it('recognise an error of another copy (a class of its own with the same brand), refuse a look-alike', async () => {
    const outbox = await import('../../src/outbox/index.js');
    // Another copy of the package: its own class, branded with the same Symbol.for key.
    class OtherCopyUnavailable extends Error {}
    Object.defineProperty(OtherCopyUnavailable.prototype, Symbol.for('temporal-supervisor.error'), {
      value: 'OutboxUnavailableError',
    });
    expect(outbox.isOutboxUnavailableError(new OtherCopyUnavailable('x'))).toBe(true);
    expect(outbox.isOutboxInputError(new OtherCopyUnavailable('x'))).toBe(false);
    const lookAlike = Object.assign(new Error('x'), {
      name: 'OutboxUnavailableError',
      code: 'OUTBOX_UNAVAILABLE',
    });
    expect(outbox.isOutboxUnavailableError(lookAlike)).toBe(false);
    expect(
      outbox.isOutboxWaitTimeoutError(new outbox.OutboxWaitTimeoutError('late', { id: 'a', timeoutMs: 5 })),
    ).toBe(true);
    expect(
      outbox.isOutboxSchemaError(
        new outbox.OutboxSchemaError('old', { found: 1, expected: 2, migration: 'm' }),
      ),
    ).toBe(true);
    expect(outbox.isOutboxIntentConflictError(new outbox.OutboxIntentConflictError('taken', 'a'))).toBe(true);
    expect(outbox.isOutboxIntentConflictError(new outbox.OutboxInputError('bad', 'args'))).toBe(false);
  });
});
