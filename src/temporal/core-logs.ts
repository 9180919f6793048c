/**
 * The SDK's process-global Runtime: core log forwarding, and installing it without signal handlers.
 *
 * Reliance on non-public SDK members (checked against @temporalio/worker 1.24.0): `Runtime._instance`,
 * `Runtime.instantiator` and `Runtime.defaultOptions`, read to know whether someone else's Runtime exists
 * and to leave no forwarding behind after stop. Caught by test/unit/core-logs.test.ts and
 * test/integration/observability.test.ts (core log lines arrive in the supervisor's logger).
 */
import type { LogMetadata, Logger as SdkLogger, LogLevel as SdkLogLevel } from '@temporalio/common';
import type { RuntimeOptions } from '@temporalio/worker';
import { SupervisorOptionsError } from '../errors.js';
import type { LogFields, LogLevel, SupervisorLogger } from '../logging/logger.js';
import { type ResolvedCoreLogs, SDK_LEVELS } from '../options/core-logs.js';
import { loadedRuntimes, loadWorkerPackage, type RuntimeClass } from './worker-package.js';

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
  /** The SDK's Runtime class, once a worker made us load it. */
  private runtime: RuntimeClass | undefined;
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
    // Only a loaded copy of @temporalio/worker can hold a Runtime: no need to load it to know there is none.
    const Runtime = loadedRuntimes().find((R) => R._instance !== undefined && !OURS.has(R.defaultOptions));
    if (Runtime !== undefined) {
      throw new SupervisorOptionsError(
        'coreLogs',
        `Invalid option \`coreLogs\`: the Temporal SDK's Runtime already exists in this process (${
          Runtime.instantiator === 'install'
            ? 'installed with Runtime.install()'
            : 'created implicitly by a NativeConnection or Worker made earlier'
        }), and it is process-global: it cannot be installed again with log forwarding. Create the supervisor before any NativeConnection or Worker, or give your telemetryOptions to \`coreLogs.telemetryOptions\` instead of installing the Runtime yourself, or leave \`coreLogs\` out and configure forwarding in your own Runtime.install({ telemetryOptions: { logging: { forward: {} } } }).`,
      );
    }
    owner = this;
    this.runtimeOptions = {
      logger: new ForwardingLogger(log, redact, settings.sdkLevel),
      telemetryOptions: {
        ...settings.telemetryOptions,
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
  async ensureInstalled(): Promise<void> {
    const { Runtime } = await loadWorkerPackage();
    this.runtime = Runtime;
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
    const Runtime = this.runtime;
    if (Runtime && Runtime._instance === undefined && Runtime.defaultOptions === this.runtimeOptions) {
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

  /**
   * Plain JSON fields (bigints as strings, errors as name and message), every secret redacted in each string
   * *before* serialization: after it, a secret holding `"`, `\` or a newline (a PEM key) would appear escaped and
   * no longer match.
   */
  private fields(meta: LogMetadata | undefined): LogFields {
    if (meta === undefined) return {};
    const redact = this.redact;
    try {
      const json = JSON.stringify(meta, (_key, value: unknown) => {
        const flat = plain(value);
        return typeof flat === 'string' ? redact(flat) : flat;
      });
      return json === undefined ? {} : (JSON.parse(json) as LogFields);
    } catch {
      return { meta: '[unserializable metadata]' };
    }
  }
}

function plain(value: unknown): unknown {
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
export async function ensureRuntimeWithoutSignalHandlers(): Promise<boolean> {
  const { Runtime } = await loadWorkerPackage();
  if (Runtime._instance !== undefined) return false;
  Runtime.install({ shutdownSignals: [] });
  return true;
}
