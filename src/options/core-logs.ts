import type { LogLevel as SdkLogLevel } from '@temporalio/common';
import { SupervisorOptionsError } from '../errors.js';
import { fail, isPlainObject, objectOption } from './check.js';
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
}

export interface ResolvedCoreLogs {
  readonly level: SdkLogLevel;
  readonly sdkLevel: SdkLogLevel;
}

export const SDK_LEVELS: readonly SdkLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const KNOWN_KEYS = ['level', 'sdkLevel'] satisfies readonly (keyof CoreLogsOptions)[];

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
  return { level, sdkLevel: sdk };
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
