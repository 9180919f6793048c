/**
 * `temporal-supervisor/testing`: a real Temporal dev server and network faults for your own tests (and the
 * demo). See docs/testing.md.
 */
export {
  DevServer,
  type DevServerExit,
  type DevServerOptions,
  type DevServerTimings,
  findFreePort,
} from './dev-server.js';
export {
  FaultProxy,
  type FaultProxyMode,
  type FaultProxyOptions,
  type FaultProxyStats,
} from './fault-proxy.js';
export { PostgresServer, type PostgresServerOptions, resolvePostgresBin } from './postgres.js';
export {
  MIN_GO_VERSION,
  type ResolveTemporalCliOptions,
  resolveTemporalCli,
  TEMPORAL_CLI_MODULE,
  TEMPORAL_CLI_VERSION,
  temporalCliCacheDir,
} from './temporal-cli.js';
