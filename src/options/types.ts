import type { ConnectionOptions } from '@temporalio/client';
import type { InspectionEvent } from 'xstate';
import type { ConnectionConfig } from '../../machines/connection.types.js';
import type { LoggerOption, SupervisorLogger } from '../logging/logger.js';
import type { ApiKeyProvider } from '../runtime/api-key-source.js';
import type { Clock } from '../runtime/clock.js';
import type { Connector } from '../runtime/connector.js';
import type { Duration } from '../temporal/duration.js';
import type { TlsFiles } from '../temporal/tls-files.js';
import type { CoreLogsOptions, ResolvedCoreLogs } from './core-logs.js';
import type { CreatorOptions, ResolvedCreatorOptions } from './creator.js';
import type { InspectOption } from './inspect.js';
import type { TlsFilesOption } from './tls-files.js';
import type { ResolvedWorkerOptions, WorkerOptions } from './worker.js';

export type { Duration };

/** TLS settings, as `@temporalio/client` takes them. */
/** TLS as the SDK takes it (`true`, or PEM contents inline), or mTLS from files reloaded on change. */
export type TlsOption = NonNullable<ConnectionOptions['tls']> | TlsFilesOption;
/** TLS as the connections are made with it (the files form read into PEM contents). */
export type ResolvedTls = NonNullable<ConnectionOptions['tls']>;

/** Which call the health check makes. */
export type HealthCheckMethod =
  /** `grpc.health.v1.Health/Check`: the cheapest; proves the frontend answers. */
  | 'health'
  /** `GetSystemInfo`: proves the workflow service answers. */
  | 'system-info'
  /** `DescribeNamespace`: also proves credentials and that the namespace exists. */
  | 'namespace'
  /**
   * `DescribeWorkflowExecution` of a workflow id that does not exist: the frontend must ask the history service,
   * which answers NOT_FOUND (a pass). Sees what the others cannot: history down while the frontend answers its
   * health checks SERVING and starts fail (measured on the cluster: docs/connection.md). One history lookup a probe.
   */
  | 'history';

export interface BackoffOptions {
  /** Delay before the first retry. @default 100 ms */
  initialDelay?: Duration;
  /** Longest delay between attempts. @default 5 s */
  maxDelay?: Duration;
  /** Growth factor between consecutive delays, at least 1. @default 1.7 */
  multiplier?: number;
  /** Relative jitter in [0, 1]: each delay is spread uniformly over ±jitter. @default 0.2 */
  jitter?: number;
}

export interface HealthCheckOptions {
  /** Which call probes the server. @default 'health' */
  method?: HealthCheckMethod;
  /** Time between probes while connected. @default 500 ms */
  interval?: Duration;
  /** Time between probes while degraded. @default 500 ms */
  degradedInterval?: Duration;
  /** Deadline of each probe. @default 1 s */
  timeout?: Duration;
  /**
   * A probe slower than this moves `connected` to `degraded` (but never gives the connection up); while
   * `connected`, a probe with no answer at all by then is slow at once. @default 400 ms
   */
  slowThreshold?: Duration;
  /** Failed probes in a row, while degraded, that give the connection up (→ `backoff`). @default 3 */
  failuresToDisconnect?: number;
  /** Good probes in a row, while degraded, that return to `connected`. @default 2 */
  successesToRecover?: number;
}

export interface RequestOptions {
  /** Deadline of a request that gives none. @default 10 s */
  deadline?: Duration;
  /** How many requests may wait for the connection at once; more are rejected with reason `queue_full`. @default 1000 */
  maxPending?: number;
  /**
   * How many requests may run on the connection at once; more wait in order (counted in `maxPending`) for a
   * slot. Bounds what one dying connection can fail at once and what a returning one receives at once. @default 64
   */
  maxInFlight?: number;
  /** Reject at once, instead of waiting, when the connection is not serving. @default false */
  failFast?: boolean;
}

export interface EnvConfigOptions {
  /** Profile in the config file. @default TEMPORAL_PROFILE, else 'default' */
  profile?: string;
  /** Path of the TOML config file. @default TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml */
  configFile?: string;
  /** Environment to read instead of `process.env`. */
  env?: Record<string, string>;
}

export interface SupervisorOptions {
  /** `host:port` of the Temporal frontend. @default from envconfig (TEMPORAL_ADDRESS), else 'localhost:7233' */
  address?: string;
  /** @default from envconfig (TEMPORAL_NAMESPACE), else 'default' */
  namespace?: string;
  /**
   * API key (Temporal Cloud): the key, or a function (sync or async) the supervisor calls for it at start and
   * then every `apiKeyRefreshInterval`. A function that throws, rejects, hangs or returns no usable key is
   * reported and the last good key kept. Never logged, old keys included. @default from envconfig (TEMPORAL_API_KEY)
   */
  apiKey?: string | ApiKeyProvider;
  /** How often an `apiKey` function is called again (each call bounded by min(this, 10 s)). @default 60 s */
  apiKeyRefreshInterval?: Duration;
  /**
   * TLS: `true` for system roots, a full TLS config, or mTLS from files (`clientCertPair: { crtFile, keyFile }`),
   * re-read and applied on change. Keys are never logged. @default from envconfig
   */
  tls?: TlsOption;
  /** Extra gRPC metadata sent with every call. Values are never logged. */
  metadata?: Record<string, string>;
  /**
   * Read connection settings the way the `temporal` CLI does (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
   * TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, the TOML config file). Explicit options win.
   * @default true
   */
  envConfig?: boolean | EnvConfigOptions;
  /** Bound of one connection attempt (TCP, TLS, GetSystemInfo, DescribeNamespace). @default 5 s */
  connectTimeout?: Duration;
  /** Backoff between connection attempts after transient failures. */
  backoff?: BackoffOptions;
  /** Delay between attempts after a permanent failure (bad credentials, namespace, TLS). @default 30 s */
  permanentRetryDelay?: Duration;
  /** Time connected, without degrading, after which the attempt count resets. @default 10 s */
  stablePeriod?: Duration;
  /** Bound on closing connections in `stop()`: past it, stop finishes anyway and logs an error. @default 5 s */
  closeTimeout?: Duration;
  healthCheck?: HealthCheckOptions;
  /**
   * While backing off after the server was unreachable, dial its TCP port this often and retry at once
   * when it answers, instead of waiting out the backoff. `false` turns this off. @default 250 ms
   */
  reachabilityInterval?: Duration | false;
  /**
   * When the reachability dial finds the server back, wait a delay drawn uniformly from `[0, reconnectSpread)`
   * before the attempt (instead of the rest of the backoff), so that a fleet which lost the server together
   * does not reconnect in the same instant: the server then sees about `N × 100 / reconnectSpread` attempts in
   * any 100 ms from `N` replicas (e.g. 50 replicas, `'1.5s'`: ~3). Costs each replica half the spread on
   * average in recovery. No effect with `reachabilityInterval: false`. @default 0 (at once)
   */
  reconnectSpread?: Duration;
  requests?: RequestOptions;
  /** A pino logger or any logger of Temporal's `(message, meta)` shape. @default no logging */
  logger?: LoggerOption;
  /**
   * Forward the Temporal SDK's own logs (its Rust core's, and its workers' TypeScript side) to `logger`,
   * redacted. The SDK's Runtime is process-global: one supervisor per process may set this, and it must be
   * created before any NativeConnection or Worker. @default not forwarded (the SDK writes them to stderr)
   */
  coreLogs?: CoreLogsOptions;
  /** Source of time for delays and deadlines. @default the system clock */
  clock?: Clock;
  /** Seed of the jitter generator (for reproducible tests). @default random */
  seed?: number;
  /**
   * Receives XState's inspection events of the connection actor and its children: a function, or an xstate
   * `Observer` (`{ next }`, as `@statelyai/inspect`'s `createBrowserInspector().inspect`). One that throws is
   * reported as a fault of user code, and kept.
   */
  inspect?: InspectOption;
  /** Extra options for each `Connection` (channelArgs, interceptors, …). */
  connectionOptions?: Omit<ConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata' | 'connectTimeout'>;
  /** Replaces how connections are made (for tests and custom transports). @default the Temporal client */
  connector?: Connector;
  /**
   * What happens when a worker marked `significant` is given up beyond its restart intensity (OTP's significant
   * children): `'fail-liveness'` (the liveness check fails, as for any given-up worker; the orchestrator restarts
   * the process), `'stop'` (the supervisor stops: creators reject, workers drain, connections close), or
   * `{ exit: code }` (a clean stop, then `process.exit(code)`). @default 'fail-liveness'
   */
  escalation?: 'fail-liveness' | 'stop' | { readonly exit: number };
  /**
   * Workflow creators to supervise, by name (letters, digits, `.`, `_`, `-`): each starts workflows
   * exactly once per request. Get one with `supervisor.creator(name)`.
   */
  creators?: Record<string, CreatorOptions>;
  /**
   * Temporal workers to supervise, by name: each is created once the connection is up, kept running
   * through outages, and replaced after a failure, within its restart intensity.
   */
  workers?: Record<string, WorkerOptions>;
}

/** Every option with its default applied; durations in milliseconds. */
export interface ResolvedOptions {
  readonly address: string;
  readonly namespace: string;
  readonly apiKey: string | undefined;
  /** The `apiKey` function, when one was given (then `apiKey` is undefined until it answers). */
  readonly apiKeyProvider: ApiKeyProvider | undefined;
  readonly apiKeyRefreshMs: number;
  readonly tls: ResolvedTls | undefined;
  /** The files of the files form of `tls`, to reload. */
  readonly tlsFiles: TlsFiles | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly machine: ConnectionConfig;
  readonly closeTimeoutMs: number;
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  readonly healthCheckMethod: HealthCheckMethod;
  readonly reachabilityIntervalMs: number | false;
  readonly requests: {
    readonly deadlineMs: number;
    readonly maxPending: number;
    readonly maxInFlight: number;
    readonly failFast: boolean;
  };
  readonly logger: SupervisorLogger;
  /** Core log forwarding, when asked for. */
  readonly coreLogs: ResolvedCoreLogs | undefined;
  readonly clock: Clock;
  readonly seed: number;
  readonly connectionOptions: NonNullable<SupervisorOptions['connectionOptions']>;
  readonly connector: Connector | undefined;
  /** Every secret in the options, for redaction. */
  readonly secrets: readonly string[];
  readonly creators: ReadonlyMap<string, ResolvedCreatorOptions>;
  readonly workers: ReadonlyMap<string, ResolvedWorkerOptions>;
  readonly escalation: 'fail-liveness' | 'stop' | { readonly exit: number };
}
