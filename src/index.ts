export type {
  ConnectionConfig,
  ConnectionEvent,
  ConnectionState,
  RetryReason,
} from '../machines/connection.machine.js';
export { CONNECTION_STATES, connectionMachine } from '../machines/connection.machine.js';
export type { CreatorState } from '../machines/creator.machine.js';
export type { FailureInfo } from '../machines/failure.js';
export { type BackoffPolicy, backoffDelayMs, nominalDelayMs } from './backoff.js';
export { type Clock, systemClock } from './clock.js';
export type { ConnectionSignal, Connector, ConnectRequest, LiveConnection } from './connector.js';
export type { CoreLogsOptions, SdkLogLevel } from './core-logs.js';
export {
  type CreatorCallOptions,
  type CreatorOptions,
  type StartOutcome,
  WorkflowCreator,
} from './creator.js';
export {
  ConnectionFailureError,
  classifyFailure,
  isSupervisorOptionsError,
  isTemporalUnavailableError,
  isWorkflowConflictError,
  type RequestIdentity,
  SupervisorOptionsError,
  SupervisorTimeoutError,
  TemporalUnavailableError,
  type UnavailableReason,
  WorkflowConflictError,
} from './errors.js';
export {
  createHealthHandler,
  type HealthCheck,
  type HealthOptions,
  type HealthReport,
  healthOf,
} from './health.js';
export {
  type InspectedActor,
  type Inspector,
  type InspectorAction,
  type InspectorOptions,
  startInspector,
  type TimelineEntry,
} from './inspector/server.js';
export type { LogFields, LoggerOption, LogLevel, MessageMetaLogger, SupervisorLogger } from './logger.js';
export {
  type GraphState,
  type GraphTransition,
  graphStates,
  type MachineGraph,
  machineGraph,
  type StateSummary,
  summarizeStates,
  type TransitionKind,
  toDot,
  toMermaid,
  transitionLabel,
} from './machine-graph.js';
export { type MetricsOptions, registerMetrics, type SupervisorMetrics } from './metrics.js';
export {
  type BackoffOptions,
  DEFAULTS,
  type Duration,
  type EnvConfigOptions,
  type HealthCheckMethod,
  type HealthCheckOptions,
  type RequestOptions,
  type ResolvedOptions,
  resolveOptions,
  type SupervisorOptions,
  type TlsOption,
} from './options.js';
export {
  type ActorTransition,
  createSupervisor,
  type Disposable,
  type RequestCallOptions,
  type RequestContext,
  type StateChange,
  Supervisor,
  type SupervisorSnapshot,
  statePath,
} from './supervisor.js';
export { createTemporalConnector } from './temporal-connector.js';
export { CHILD_MESSAGES } from './transition-log.js';
