import type { LogMetadata, Logger as SdkLogger, LogLevel as SdkLogLevel } from '@temporalio/common';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { SupervisorOptionsError } from './errors.js';
import type { LogFields, LogLevel, SupervisorLogger } from './logger.js';

export type { SdkLogLevel };

/**
 * Forwarding of the Temporal SDK's own logs (its Rust core, and the TypeScript side of its workers) to the
 * supervisor's logger. The SDK's `Runtime` is process-global: see {@link CoreLogForwarder}.
 */
export interface CoreLogsOptions {
  /** Lowest level of the core's (Rust) logs forwarded. @default 'WARN' */
  level?: SdkLogLevel;
  /**
   * Lowest level of the SDK's TypeScript-side logs forwarded (worker lifecycle, and workflow and activity
   * context loggers, which log through the same Runtime logger). @default 'INFO' (the SDK's own default)
   */
  sdkLevel?: SdkLogLevel;
}

export interface ResolvedCoreLogs {
  readonly level: SdkLogLevel;
  readonly sdkLevel: SdkLogLevel;
}

const SDK_LEVELS: readonly SdkLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const KNOWN_KEYS = ['level', 'sdkLevel'];

/** Validates the `coreLogs` option (`undefined`: no forwarding). */
export function resolveCoreLogs(
  value: CoreLogsOptions | undefined,
  hasWorkers: boolean,
): ResolvedCoreLogs | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SupervisorOptionsError(
      'coreLogs',
      `Invalid option \`coreLogs\`: expected an object, received ${describe(value)}. Pass e.g. \`coreLogs: { level: 'WARN' }\`, or leave it out to keep the SDK's logs on stderr.`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw new SupervisorOptionsError(
        `coreLogs.${key}`,
        `Unknown option \`coreLogs.${key}\`. Known options of \`coreLogs\`: ${KNOWN_KEYS.join(', ')}.`,
      );
    }
  }
  const level = sdkLevel('coreLogs.level', value.level, 'WARN');
  const sdk = sdkLevel('coreLogs.sdkLevel', value.sdkLevel, 'INFO');
  if (!hasWorkers) {
    throw new SupervisorOptionsError(
      'coreLogs',
      'Invalid option `coreLogs`: the Temporal core runs only inside workers, and no `workers` are configured, so there would be nothing to forward. Configure `workers`, or leave `coreLogs` out.',
    );
  }
  return { level, sdkLevel: sdk };
}

function sdkLevel(field: string, value: unknown, fallback: SdkLogLevel): SdkLogLevel {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !SDK_LEVELS.includes(value as SdkLogLevel)) {
    throw new SupervisorOptionsError(
      field,
      `Invalid option \`${field}\`: expected one of ${SDK_LEVELS.map((l) => `'${l}'`).join(', ')} (the SDK's level names, upper case), received ${describe(value)}. Pass e.g. \`${field}: '${fallback}'\`.`,
    );
  }
  return value as SdkLogLevel;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The one supervisor in this process that forwards core logs (they are process-global). */
let owner: CoreLogForwarder | undefined;

const OURS = new WeakSet<RuntimeOptions>();

/**
 * Installs the SDK's process-global `Runtime` with log forwarding into the supervisor's logger, redacted.
 *
 * When: not at construction — an installed Runtime keeps the process alive until its last native
 * connection closes (measured: a process that only installs one never exits), so it is installed just
 * before the first worker is created, and the SDK shuts it down when the last worker's connection closes.
 * Construction only checks that forwarding is possible: that no other Runtime exists yet, and that no other
 * supervisor of this process forwards core logs.
 */
export class CoreLogForwarder {
  private readonly runtimeOptions: RuntimeOptions;
  private warned = false;

  constructor(
    private readonly settings: ResolvedCoreLogs,
    private readonly log: SupervisorLogger,
    redact: (text: string) => string,
  ) {
    if (owner !== undefined) {
      throw new SupervisorOptionsError(
        'coreLogs',
        "Invalid option `coreLogs`: another supervisor of this process already forwards the Temporal core's logs. The SDK's Runtime (and so its logger) is process-global: give `coreLogs` to one supervisor only, or stop the other one first.",
      );
    }
    const existing = Runtime._instance;
    if (existing !== undefined && !OURS.has(Runtime.defaultOptions)) {
      throw new SupervisorOptionsError(
        'coreLogs',
        `Invalid option \`coreLogs\`: the Temporal SDK's Runtime already exists in this process (${
          Runtime.instantiator === 'install'
            ? 'installed with Runtime.install()'
            : 'created implicitly by a NativeConnection or Worker made earlier'
        }), and it is process-global: it cannot be installed again with log forwarding. Create the supervisor before any NativeConnection or Worker, or leave \`coreLogs\` out and configure forwarding in your own Runtime.install({ telemetryOptions: { logging: { forward: {} } } }).`,
      );
    }
    owner = this;
    this.runtimeOptions = {
      logger: new ForwardingLogger(log, redact, settings.sdkLevel),
      telemetryOptions: {
        logging: { filter: { core: settings.level, other: settings.level }, forward: {} },
      },
      // The supervisor owns shutdown (stop() drains its workers); the SDK's default would also take the
      // process's SIGINT/SIGTERM away from the application.
      shutdownSignals: [],
    };
    OURS.add(this.runtimeOptions);
  }

  /**
   * Before each worker is created: installs the Runtime if none exists (again after the SDK shut an idle
   * one down). Logs an error once, and lets the worker start anyway, when someone else's Runtime exists.
   */
  ensureInstalled(): void {
    if (Runtime._instance === undefined) {
      Runtime.install(this.runtimeOptions);
      this.log.log('debug', 'Temporal runtime installed with core log forwarding', {
        level: this.settings.level,
        sdkLevel: this.settings.sdkLevel,
      });
      return;
    }
    if (Runtime.defaultOptions === this.runtimeOptions || this.warned) return;
    this.warned = true;
    this.log.log('error', 'Temporal core logs not forwarded: another Runtime was installed', {
      fix: 'Create the supervisor (with coreLogs) before any NativeConnection, Worker or Runtime.install() of your own, or drop coreLogs',
    });
  }

  /**
   * Once stopped (its workers' connections closed, so the SDK has shut the Runtime down): lets another
   * supervisor forward core logs, and keeps a Runtime the SDK creates later from logging into this one.
   */
  release(): void {
    if (owner === this) owner = undefined;
    if (Runtime._instance === undefined && Runtime.defaultOptions === this.runtimeOptions) {
      Runtime.defaultOptions = {};
    }
  }
}

const SEVERITY: Record<SdkLogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/**
 * The Runtime's logger: every SDK log line (core lines carry `sdkComponent: 'core'`) to the supervisor's
 * logger, with every secret redacted from the message and the metadata. Core lines were already filtered
 * by level natively; the TypeScript side's are filtered here at `sdkLevel`.
 */
export class ForwardingLogger implements SdkLogger {
  private readonly target: SupervisorLogger;

  constructor(
    log: SupervisorLogger,
    private readonly redact: (text: string) => string,
    private readonly sdkLevel: SdkLogLevel,
  ) {
    this.target = log.child({ component: 'temporal-sdk' });
  }

  log(level: SdkLogLevel, message: string, meta?: LogMetadata): void {
    const core = meta?.sdkComponent === 'core';
    if (!core && SEVERITY[level] < SEVERITY[this.sdkLevel]) return;
    this.target.log(toLevel(level), this.redact(String(message)), this.fields(meta));
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }

  /** Plain JSON fields (bigints as strings, errors as name and message), every secret redacted. */
  private fields(meta: LogMetadata | undefined): LogFields {
    if (meta === undefined) return {};
    const json = JSON.stringify(meta, plain);
    if (json === undefined) return {};
    const redacted = this.redact(json);
    try {
      return JSON.parse(redacted) as LogFields;
    } catch {
      return { meta: redacted };
    }
  }
}

function plain(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

function toLevel(level: SdkLogLevel): LogLevel {
  return SDK_LEVELS.includes(level) ? (level.toLowerCase() as LogLevel) : 'info';
}

/**
 * Installs the SDK's process-global Runtime without its shutdown-signal handlers, unless a Runtime exists
 * already (the application's own, or one with core log forwarding). By default the SDK shuts every worker
 * down on SIGINT, SIGTERM, SIGQUIT and SIGUSR2 by itself: behind the supervisor, which would then see its
 * workers exit, restart them on a Runtime that is shutting down, and give them up. The supervisor owns its
 * workers' lifecycle: the application calls `supervisor.stop()` on its signals (see the examples).
 */
export function ensureRuntimeWithoutSignalHandlers(): boolean {
  if (Runtime._instance !== undefined) return false;
  Runtime.install({ shutdownSignals: [] });
  return true;
}
