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
export { type ClassifiedError, type FailureInfo, toFailureInfo } from './failure.js';
