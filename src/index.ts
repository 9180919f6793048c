/**
 * The public API of temporal-supervisor: what a service needs to embed it, and nothing else (docs/api.md,
 * "Public surface"). Internals used by the package's own tools live behind `temporal-supervisor/internal`, with
 * no stability promise.
 */
export type { ConnectionEvent, ConnectionState, RetryReason } from '../machines/connection.types.js';
export { CONNECTION_STATES } from '../machines/connection.types.js';
export type { CreatorState } from '../machines/creator.machine.js';
export type { FailureInfo } from '../machines/failure.js';
export type { WorkerState } from '../machines/worker.machine.js';
export {
  type CreatorCallOptions,
  type StartOutcome,
  WorkflowCreator,
} from './children/creator.js';
export {
  ConnectionFailureError,
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
export type {
  LogFields,
  LoggerOption,
  LogLevel,
  MessageMetaLogger,
  SupervisorLogger,
} from './logging/logger.js';
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
export type { CoreLogsOptions, SdkLogLevel } from './options/core-logs.js';
export type { CreatorOptions } from './options/creator.js';
export type { InspectOption } from './options/inspect.js';
export type { TlsFilesOption } from './options/tls-files.js';
export type {
  BackoffOptions,
  Duration,
  EnvConfigOptions,
  HealthCheckMethod,
  HealthCheckOptions,
  RequestOptions,
  SupervisorOptions,
  TlsOption,
} from './options/types.js';
export type { WorkerOptions } from './options/worker.js';
export type { ApiKeyProvider } from './runtime/api-key-source.js';
export { type Clock, systemClock } from './runtime/clock.js';
export type { ConnectionSignal, Connector, ConnectRequest, LiveConnection } from './runtime/connector.js';
export type { RequestCallOptions, RequestContext } from './runtime/request-gate.js';
export type { ActorTransition, Disposable } from './runtime/transition-hub.js';
export {
  createSupervisor,
  type NamedSupervisorOptions,
  type ShutdownOptions,
  Supervisor,
} from './supervisor/supervisor.js';
export type { RequestOutcome, StateChange, SupervisorSnapshot } from './supervisor/types.js';
