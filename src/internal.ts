/**
 * `temporal-supervisor/internal`: the pieces the package's own CLI, inspector, benchmarks and tests use, for those
 * who build tools on the supervisor. No stability promise: anything here may change in any release.
 */
export { type BackoffPolicy, backoffDelayMs, nominalDelayMs } from '../machines/backoff.js';
export { createRedactor } from './logging/redact.js';
export { CHILD_MESSAGES } from './logging/transition-log.js';
export { DEFAULTS } from './options/defaults.js';
export { resolveOptions } from './options/resolve.js';
export type { ResolvedOptions } from './options/types.js';
export { type CallFacts, type CallFailure, classifyCall } from './runtime/call-failure.js';
export { classifyFailure } from './runtime/classify.js';
export { type CredentialSource, fixedCredentials } from './runtime/credential-source.js';
export { statePath } from './runtime/transition-hub.js';
export { createTemporalConnector } from './temporal/connector.js';
