/**
 * The static config of one process of a {@link TemporalCluster}: the layout of Temporal's own
 * config/development-postgres12.yaml (persistence on PostgreSQL 12+, membership on 127.0.0.1), with each
 * service on its own ports and the process's own frontend ports when it is a frontend. Written as JSON, which
 * is YAML too.
 */

/** The four services of a Temporal server; a cluster runs two frontends. */
export type ClusterServiceKind = 'frontend' | 'history' | 'matching' | 'worker';

export interface ServicePorts {
  grpcPort: number;
  membershipPort: number;
}

export interface ClusterConfigInput {
  /** The service this process runs. */
  kind: ClusterServiceKind;
  /** The ports of every service; for `frontend`, the ports of this very frontend. */
  ports: Record<ClusterServiceKind, ServicePorts>;
  postgres: { host: string; port: number; user: string };
  /** Database names of the default store and of visibility. */
  databases: { main: string; visibility: string };
  /** host:port the worker service and cluster metadata use to reach a frontend: the load balancer. */
  frontendAddress: string;
  dynamicConfigFile: string;
  /** Seconds between reads of the dynamic config file (the server refuses less than 5). */
  dynamicConfigPollSeconds: number;
  numHistoryShards: number;
  logLevel: string;
}

/** Connections per process and store: 5 processes share one PostgreSQL of `max_connections` 300. */
const MAX_CONNS = 10;

export function clusterProcessConfig(input: ClusterConfigInput): Record<string, unknown> {
  const { postgres, databases } = input;
  const store = (databaseName: string) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: '',
      maxConns: MAX_CONNS,
      maxIdleConns: MAX_CONNS,
      maxConnLifetime: '1h',
    },
  });
  const services = Object.fromEntries(
    Object.entries(input.ports).map(([kind, ports]) => [
      kind,
      { rpc: { grpcPort: ports.grpcPort, membershipPort: ports.membershipPort, bindOnIP: '127.0.0.1' } },
    ]),
  );
  return {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.numHistoryShards,
      datastores: {
        'postgres-default': store(databases.main),
        'postgres-visibility': store(databases.visibility),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: input.frontendAddress,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    publicClient: { hostPort: input.frontendAddress },
    dynamicConfigClient: {
      filepath: input.dynamicConfigFile,
      pollInterval: `${input.dynamicConfigPollSeconds}s`,
    },
  };
}

/**
 * A dynamic config file: each key gets one value with no constraints (`key: [{ value }]`), or the list of
 * `{ value, constraints }` given as is.
 */
export function dynamicConfigFile(values: Record<string, unknown>): string {
  const file: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    file[key] = isConstrainedList(value) ? value : [{ value }];
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

function isConstrainedList(value: unknown): value is Array<{ value: unknown; constraints?: unknown }> {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((entry) => typeof entry === 'object' && entry !== null && 'value' in entry)
  );
}
