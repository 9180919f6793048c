export type { ConnectionSettings } from './connection.js';
export type { CoreLogsOptions, ResolvedCoreLogs, SdkLogLevel } from './core-logs.js';
export type { CreatorOptions, ResolvedCreatorOptions } from './creator.js';
export { DEFAULTS } from './defaults.js';
export { resolveOptions } from './resolve.js';
export type * from './types.js';
export type { ResolvedWorkerOptions, WorkerOptions } from './worker.js';
