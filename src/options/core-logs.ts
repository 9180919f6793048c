import type { LogLevel as SdkLogLevel } from '@temporalio/common';
import type { TelemetryOptions } from '@temporalio/worker';
import { SupervisorOptionsError } from '../errors.js';
import { checkKeys, fail, isPlainObject, objectOption } from './check.js';
import { DEFAULTS } from './defaults.js';

export type { SdkLogLevel };

/**
 * Forwarding of the Temporal SDK's own logs (its Rust core, and the TypeScript side of its workers) to the
 * supervisor's logger. The SDK's `Runtime` is process-global: see `CoreLogForwarder` (src/temporal/core-logs.ts).
 */
export interface CoreLogsOptions {
  /** Lowest level of the core's (Rust) logs forwarded. @default 'WARN' */
  level?: SdkLogLevel;
  /**
   * Lowest level of the SDK's TypeScript-side logs forwarded (worker lifecycle, and workflow and activity
   * context loggers, which log through the same Runtime logger). @default 'INFO' (the SDK's own default)
   */
  sdkLevel?: SdkLogLevel;
  /**
   * The rest of the SDK's `Runtime.install({ telemetryOptions })`: the core's own metrics export
   * (`metrics: { prometheus: { bindAddress } }` or `{ otel: { url } }`), `tracingFilter`,
   * `noTemporalPrefixForMetrics`. Installed together with the forwarding, in the one process-global Runtime;
   * `logging` is the forwarding's own and cannot be given. @default none (the SDK's defaults)
   */
  telemetryOptions?: CoreTelemetryOptions;
}

/** The SDK's `TelemetryOptions` without `logging`, which core log forwarding sets. */
export type CoreTelemetryOptions = Omit<TelemetryOptions, 'logging'>;

export interface ResolvedCoreLogs {
  readonly level: SdkLogLevel;
  readonly sdkLevel: SdkLogLevel;
  readonly telemetryOptions: CoreTelemetryOptions;
}

export const SDK_LEVELS: readonly SdkLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const KNOWN_KEYS = ['level', 'sdkLevel', 'telemetryOptions'] satisfies readonly (keyof CoreLogsOptions)[];
const TELEMETRY_KEYS = [
  'metrics',
  'tracingFilter',
  'noTemporalPrefixForMetrics',
  'tracing',
] satisfies readonly (keyof CoreTelemetryOptions)[];

/** Validates the `coreLogs` option (`undefined`: no forwarding). */
export function resolveCoreLogs(
  value: CoreLogsOptions | undefined,
  hasWorkers: boolean,
): ResolvedCoreLogs | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    fail(
      'coreLogs',
      'an object',
      value,
      "Pass e.g. `coreLogs: { level: 'WARN' }`, or leave it out to keep the SDK's logs on stderr.",
    );
  }
  const options = objectOption<CoreLogsOptions>('coreLogs', value, KNOWN_KEYS);
  const level = sdkLevel('coreLogs.level', options.level, DEFAULTS.coreLogs.level);
  const sdk = sdkLevel('coreLogs.sdkLevel', options.sdkLevel, DEFAULTS.coreLogs.sdkLevel);
  if (!hasWorkers) {
    throw new SupervisorOptionsError(
      'coreLogs',
      'Invalid option `coreLogs`: the Temporal core runs only inside workers, and no `workers` are configured, so there would be nothing to forward. Configure `workers`, or leave `coreLogs` out.',
    );
  }
  return { level, sdkLevel: sdk, telemetryOptions: telemetryOptions(options.telemetryOptions) };
}

function telemetryOptions(value: unknown): CoreTelemetryOptions {
  const field = 'coreLogs.telemetryOptions';
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    fail(
      field,
      'an object',
      value,
      "Pass the SDK's telemetryOptions without `logging`, e.g. `{ metrics: { prometheus: { bindAddress: '0.0.0.0:9464' } } }`.",
    );
  }
  if ('logging' in value) {
    throw new SupervisorOptionsError(
      `${field}.logging`,
      `Invalid option \`${field}.logging\`: core log forwarding is the Runtime's logging (it sets \`logging: { forward }\` with \`coreLogs.level\` as its filter), so it cannot be given too. Set the level with \`coreLogs.level\`, or leave \`coreLogs\` out and call Runtime.install({ telemetryOptions }) yourself.`,
    );
  }
  checkKeys(field, value, TELEMETRY_KEYS);
  return value as CoreTelemetryOptions;
}

function sdkLevel(field: string, value: unknown, fallback: SdkLogLevel): SdkLogLevel {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !SDK_LEVELS.includes(value as SdkLogLevel)) {
    fail(
      field,
      `one of ${SDK_LEVELS.map((l) => `'${l}'`).join(', ')} (the SDK's level names, upper case)`,
      value,
      `Pass e.g. \`${field}: '${fallback}'\`.`,
    );
  }
  return value as SdkLogLevel;
}
