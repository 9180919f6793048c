import {
  type LoggerOption,
  loggerShapeProblem,
  type SupervisorLogger,
  toSupervisorLogger,
} from '../logging/logger.js';
import { createRedactor } from '../logging/redact.js';
import { fail } from './check.js';

/**
 * The `logger` option: a pino logger, a logger of Temporal's `(message, meta)` shape, or our own
 * `{ log(level, message, fields), child(bindings) }`; checked here so that a wrong one fails at construction, not
 * at the first line. The result never throws (faults in it are reported as process warnings, redacted).
 */
export function resolveLogger(value: unknown, secrets: readonly string[]): SupervisorLogger {
  if (value === undefined) return toSupervisorLogger(undefined);
  const problem = loggerShapeProblem(value);
  if (problem !== undefined) {
    fail(
      'logger',
      'a pino logger, or an object with debug, info, warn and error methods (Temporal’s `(message, meta)` shape)',
      value,
      `It has ${problem}. Pass e.g. \`logger: pino()\` or \`logger: console\`, or leave it out for no logging.`,
    );
  }
  return toSupervisorLogger(value as LoggerOption, createRedactor(secrets));
}
