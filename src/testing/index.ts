/**
 * `temporal-supervisor/testing`: a real Temporal dev server, a production-shaped Temporal cluster on a throwaway
 * PostgreSQL, and network faults (a fault proxy that is also a load balancer) for your own tests (and the
 * demo). See docs/testing.md.
 */

export {
  ClusterService,
  type ClusterServiceName,
  type ClusterServiceTimings,
  reachesHistory,
  TemporalCluster,
  type TemporalClusterOptions,
  type TemporalClusterTimings,
} from './cluster.js';
export type { ClusterServiceKind } from './cluster-config.js';
export {
  DevServer,
  type DevServerExit,
  type DevServerOptions,
  DevServerStartError,
  type DevServerTimings,
  findFreePort,
} from './dev-server.js';
export {
  FaultProxy,
  type FaultProxyMode,
  type FaultProxyOptions,
  type FaultProxyStats,
  type FaultProxyTarget,
} from './fault-proxy.js';
export { checkHealth, type ServingStatus } from './grpc-health.js';
export { PostgresServer, type PostgresServerOptions, resolvePostgresBin } from './postgres.js';
export {
  MIN_GO_VERSION,
  type ResolveTemporalCliOptions,
  resolveTemporalCli,
  TEMPORAL_CLI_MODULE,
  TEMPORAL_CLI_VERSION,
  temporalCliCacheDir,
} from './temporal-cli.js';
export {
  resolveTemporalServer,
  SERVER_MIN_GO_VERSION,
  TEMPORAL_SERVER_MODULE,
  TEMPORAL_SERVER_VERSION,
  type TemporalServerBinaries,
  temporalServerCacheDir,
} from './temporal-server.js';
