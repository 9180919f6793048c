/** Turns the connection flags and the environment into library options, with command-line wording on errors. */
import { isSupervisorOptionsError } from '../errors.js';
import type { SupervisorOptions } from '../options/types.js';
import { type ConnectionFlags, connectionOptions } from './args.js';

/** Configuration that cannot work (bad variable, unreadable file, unknown profile): waiting will not fix it. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The library's option-error wording, rephrased for someone at a shell rather than in code. */
export function rephrase(message: string): string {
  return message
    .replace(
      'Invalid option `envConfig`: expected',
      'Invalid connection settings (TEMPORAL_* variables or the config profile): expected',
    )
    .replace(
      "Pass e.g. `address: 'localhost:7233'` or set TEMPORAL_ADDRESS.",
      'Set e.g. TEMPORAL_ADDRESS=localhost:7233, or pass --address localhost:7233.',
    )
    .replace(
      ', or pass `envConfig: false` and give the options directly.',
      ', or override it with a flag (see --help).',
    );
}

/**
 * Runs `build` (which resolves the options) and converts a `SupervisorOptionsError` into a
 * {@link ConfigurationError} worded for the command line.
 */
export function withSettings<T>(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  build: (options: SupervisorOptions) => T,
): T {
  try {
    return build(connectionOptions(flags, env));
  } catch (error) {
    if (isSupervisorOptionsError(error)) throw new ConfigurationError(rephrase(error.message));
    throw error;
  }
}
