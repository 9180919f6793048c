import {
  type Client,
  type Connection,
  NamespaceNotFoundError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { InternalWorkflowStartOptionsSymbol } from '@temporalio/client/lib/internal.js';
import type { ProbeResult } from '../../machines/connection.machine.js';
import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError } from '../../src/errors.js';
import type { Clock } from '../../src/runtime/clock.js';
import type {
  ConnectionSignal,
  Connector,
  ConnectRequest,
  LiveConnection,
} from '../../src/runtime/connector.js';
import { signalWithStartRequestId } from '../../src/temporal/request-id.js';
import { settle } from './manual-clock.js';

/** A deferred promise controlled by the test. */
export interface Pending<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  readonly signal: AbortSignal;
}

function pending<T>(signal: AbortSignal): Pending<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject, signal };
}

export const failures = {
  unavailable: {
    kind: 'transient',
    code: 'UNAVAILABLE',
    grpcCode: 14,
    name: 'ServiceError',
    message: 'connect ECONNREFUSED 127.0.0.1:7233',
  },
  deadline: {
    kind: 'transient',
    code: 'DEADLINE_EXCEEDED',
    grpcCode: 4,
    name: 'ServiceError',
    message: 'Deadline exceeded',
  },
  namespaceNotFound: {
    kind: 'permanent',
    code: 'NAMESPACE_NOT_FOUND',
    grpcCode: 5,
    name: 'NamespaceNotFoundError',
    message: "Namespace 'nope' does not exist",
  },
  unauthenticated: {
    kind: 'permanent',
    code: 'UNAUTHENTICATED',
    grpcCode: 16,
    name: 'ServiceError',
    message: 'bad key',
  },
} satisfies Record<string, FailureInfo>;

/** What the fake server does with the next start: answer, fail before applying, or apply and lose the answer. */
export type StartFault =
  | 'unavailable-before'
  | 'unavailable-after'
  | 'hang'
  | 'namespace-not-found'
  | 'resource-exhausted'
  | 'cancelled-after';

/**
 * The fake's server side, shared by all connections: workflow starts with Temporal's semantics as measured
 * on the real dev server — a repeated start with the same request id returns the run it started, another
 * request id for a taken workflow id fails with WorkflowExecutionAlreadyStartedError.
 */
export class FakeTemporal {
  readonly executions = new Map<string, { runId: string; requestId: string; workflowType: string }>();
  /** Every start call that reached the server. */
  startCalls = 0;
  private readonly faults: StartFault[] = [];
  private runs = 0;

  /** The next start calls fail as given, in order. */
  inject(...faults: StartFault[]): void {
    this.faults.push(...faults);
  }

  /** Signals delivered, by workflow id. */
  readonly signals = new Map<string, number>();
  private readonly signalRequests = new Set<string>();

  /** SignalWithStart with the server's dedup by request id (the id requestIdInterceptor would send). */
  async signalWithStart(
    workflowType: string,
    options: Record<string, unknown>,
  ): Promise<{ workflowId: string; signaledRunId: string }> {
    const fault = this.faults.shift();
    if (fault === 'hang') return new Promise(() => {});
    if (fault === 'unavailable-before') throw unavailableError();
    const workflowId = String(options.workflowId);
    const requestId = signalWithStartRequestId.getStore() ?? `random-${Math.random()}`;
    let execution = this.executions.get(workflowId);
    if (!execution) {
      execution = { runId: `run-${++this.runs}`, requestId, workflowType };
      this.executions.set(workflowId, execution);
    }
    if (!this.signalRequests.has(`${workflowId}/${requestId}`)) {
      this.signalRequests.add(`${workflowId}/${requestId}`);
      this.signals.set(workflowId, (this.signals.get(workflowId) ?? 0) + 1);
    }
    if (fault === 'unavailable-after') throw unavailableError();
    return { workflowId, signaledRunId: execution.runId };
  }

  async start(
    workflowType: string,
    options: Record<string | symbol, unknown>,
  ): Promise<{ workflowId: string; firstExecutionRunId: string }> {
    const fault = this.faults.shift();
    if (fault === 'hang') return new Promise(() => {});
    if (fault === 'unavailable-before') throw unavailableError();
    // What a restarting dev server answers for a moment (seen in the soak), as the SDK raises it.
    if (fault === 'resource-exhausted')
      throw new ServiceError('Failed to start Workflow', {
        cause: Object.assign(new Error('8 RESOURCE_EXHAUSTED: namespace rate limit exceeded'), { code: 8 }),
      });
    if (fault === 'namespace-not-found') throw new NamespaceNotFoundError('default');
    this.startCalls++;
    const workflowId = String(options.workflowId);
    const requestId =
      (options[InternalWorkflowStartOptionsSymbol] as { requestId?: string } | undefined)?.requestId ??
      'none';
    const existing = this.executions.get(workflowId);
    let runId: string;
    if (existing) {
      if (existing.requestId !== requestId)
        throw new WorkflowExecutionAlreadyStartedError(
          'Workflow execution already started',
          workflowId,
          workflowType,
        );
      runId = existing.runId;
    } else {
      runId = `run-${++this.runs}`;
      this.executions.set(workflowId, { runId, requestId, workflowType });
    }
    if (fault === 'unavailable-after') throw unavailableError();
    // Applied, then the call cancelled by its channel closing (grpc-js's wording varies), as the SDK wraps it.
    if (fault === 'cancelled-after')
      throw new ServiceError('Failed to start Workflow', {
        cause: Object.assign(new Error('1 CANCELLED: Channel closed before call ended'), { code: 1 }),
      });
    return { workflowId, firstExecutionRunId: runId };
  }
}

function unavailableError(): Error {
  return Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 });
}

/** A connection the test controls: its probes wait for the test to answer them. */
export class FakeConnection implements LiveConnection {
  closed = false;
  readonly probes: Pending<ProbeResult>[] = [];
  private signalListener: ((signal: ConnectionSignal) => void) | undefined;
  readonly client: Client;
  readonly connection: Connection;

  constructor(
    readonly id: number,
    server: FakeTemporal = new FakeTemporal(),
  ) {
    const start = (workflowType: string, options: Record<string | symbol, unknown>) => {
      if (this.closed)
        return Promise.reject(
          Object.assign(new Error('1 CANCELLED: Channel has been shut down'), { code: 1 }),
        );
      return server.start(workflowType, options);
    };
    const signalWithStart = (workflowType: string, options: Record<string, unknown>) => {
      if (this.closed) {
        return Promise.reject(
          Object.assign(new Error('1 CANCELLED: Channel has been shut down'), { code: 1 }),
        );
      }
      return server.signalWithStart(workflowType, options);
    };
    this.client = { fake: true, id, workflow: { start, signalWithStart } } as unknown as Client;
    this.connection = { fake: true, id } as unknown as Connection;
  }

  toJSON(): unknown {
    return { id: this.id, fake: true };
  }

  /** When set, every probe answers at once with this latency (a healthy server); else the test answers. */
  answerProbes: number | undefined;

  probe({ signal }: { timeoutMs: number; signal: AbortSignal }): Promise<ProbeResult> {
    if (this.answerProbes !== undefined) return Promise.resolve({ latencyMs: this.answerProbes });
    const p = pending<ProbeResult>(signal);
    this.probes.push(p);
    return p.promise;
  }

  /** The probe in flight (the last one not yet answered). */
  get pendingProbe(): Pending<ProbeResult> | undefined {
    return this.probes.at(-1);
  }

  watch(onSignal: (signal: ConnectionSignal) => void): () => void {
    this.signalListener = onSignal;
    return () => {
      if (this.signalListener === onSignal) this.signalListener = undefined;
    };
  }

  get watched(): boolean {
    return this.signalListener !== undefined;
  }

  emit(signal: ConnectionSignal): void {
    this.signalListener?.(signal);
  }

  withDeadline<T>(_deadline: number, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A connector whose every attempt waits for the test to answer it. */
export class FakeConnector implements Connector {
  /** The server behind every connection. */
  readonly server = new FakeTemporal();
  readonly attempts: (Pending<LiveConnection> & { request: ConnectRequest })[] = [];
  readonly connections: FakeConnection[] = [];
  /** Given to every connection made from now on: see {@link FakeConnection.answerProbes}. */
  answerProbes: number | undefined;
  reachable = false;
  reachabilityChecks = 0;

  connect(request: ConnectRequest): Promise<LiveConnection> {
    const p = pending<LiveConnection>(request.signal);
    this.attempts.push({ ...p, request });
    return p.promise;
  }

  async isReachable(): Promise<boolean> {
    this.reachabilityChecks++;
    return this.reachable;
  }

  get pendingAttempt() {
    return this.attempts.at(-1);
  }

  /** Answers the last attempt with a new connection. */
  succeed(): FakeConnection {
    const attempt = this.pendingAttempt;
    if (!attempt) throw new Error('no connection attempt in flight');
    const connection = new FakeConnection(attempt.request.id, this.server);
    connection.answerProbes = this.answerProbes;
    this.connections.push(connection);
    attempt.resolve(connection);
    return connection;
  }

  /** Fails the last attempt. */
  fail(failure: FailureInfo = failures.unavailable): void {
    const attempt = this.pendingAttempt;
    if (!attempt) throw new Error('no connection attempt in flight');
    attempt.reject(new ConnectionFailureError(failure));
  }

  get open(): FakeConnection[] {
    return this.connections.filter((c) => !c.closed);
  }
}

/** Lets pending promise callbacks run. */
export const flush = settle;

/**
 * The options every fake-runtime test starts from: no envconfig, the fakes, a fixed seed, no reachability
 * dialing. Spread into `createSupervisor({ ...onFakes(connector, clock), … })`.
 */
export function onFakes(connector: FakeConnector, clock: Clock) {
  return { envConfig: false, connector, clock, seed: 1, reachabilityInterval: false } as const;
}

/** Starts a supervisor on a FakeConnector and lets its first attempt succeed: it is then `connected`. */
export async function startConnected(
  supervisor: { start(): void; readonly state: string },
  connector: FakeConnector,
): Promise<void> {
  supervisor.start();
  await flush();
  connector.succeed();
  await flush();
  if (supervisor.state !== 'connected')
    throw new Error(`expected connected, the state is ${supervisor.state}`);
}

/**
 * Stops a supervisor running on a FakeConnector and a manual clock: fails the attempts in flight, then moves
 * the clock past every stop bound so that `stop()` settles.
 */
export async function stopOnFakes(
  supervisor: { stop(): Promise<void> },
  connector: FakeConnector,
  clock: { advance(ms: number): unknown },
): Promise<void> {
  for (const attempt of connector.attempts) attempt.reject(new Error('test over'));
  const stopping = supervisor.stop();
  await flush();
  clock.advance(60_000);
  await flush();
  await stopping;
}
