export {
  CONNECTION_STATES,
  type ConnectionConfig,
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionHandle,
  type ConnectionInput,
  type ConnectionMachine,
  type ConnectionState,
  type ConnectionTag,
  connectionMachine,
  type ProbeResult,
  type RetryReason,
  type SignalSource,
} from './connection.machine.js';
export {
  type CreatorContext,
  type CreatorEvent,
  type CreatorInput,
  type CreatorMachine,
  type CreatorState,
  creatorMachine,
} from './creator.machine.js';
export { type ClassifiedError, type FailureInfo, toFailureInfo } from './failure.js';
export {
  type WorkerContext,
  type WorkerEvent,
  type WorkerInput,
  type WorkerMachine,
  type WorkerState,
  workerMachine,
} from './worker.machine.js';
