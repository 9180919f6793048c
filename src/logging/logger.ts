/**
 * One logging interface inside the library, adapted from either a pino logger (`logger.info(fields, msg)`)
 * or any logger of Temporal's `(message, meta)` shape (`logger.info(msg, meta)`). Messages are fixed strings;
 * everything variable goes into the fields, so log lines can be filtered and parsed.
 */

import { catchAsync, describeThrown, FaultReporter } from './faults.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** What the library logs through. */
export interface SupervisorLogger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(bindings: LogFields): SupervisorLogger;
}

type LogMethod = (...args: never[]) => unknown;

/** A logger of Temporal's shape: `info(message, meta)` and friends. */
export interface MessageMetaLogger {
  trace?(message: string, meta?: LogFields): unknown;
  debug(message: string, meta?: LogFields): unknown;
  info(message: string, meta?: LogFields): unknown;
  warn(message: string, meta?: LogFields): unknown;
  error(message: string, meta?: LogFields): unknown;
}

/** The part of a pino logger we use: `info(fields, message)`, `child(bindings)`, `bindings()`. */
export interface PinoLikeLogger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child(bindings: LogFields): PinoLikeLogger;
  bindings(): LogFields;
}

export type LoggerOption = PinoLikeLogger | MessageMetaLogger | SupervisorLogger;

function isPino(logger: LoggerOption): logger is PinoLikeLogger {
  return (
    typeof (logger as Partial<PinoLikeLogger>).bindings === 'function' &&
    typeof (logger as Partial<PinoLikeLogger>).child === 'function'
  );
}

function isSupervisorLogger(logger: LoggerOption): logger is SupervisorLogger {
  return (
    typeof (logger as Partial<SupervisorLogger>).log === 'function' &&
    typeof (logger as Partial<SupervisorLogger>).child === 'function' &&
    !isPino(logger)
  );
}

class PinoAdapter implements SupervisorLogger {
  constructor(private readonly target: PinoLikeLogger) {}
  /** Returns what the logger returned, so that a promise it returns can be watched for rejection. */
  log(level: LogLevel, message: string, fields: LogFields = {}): unknown {
    return (this.target[level] as (fields: LogFields, message: string) => unknown)(fields, message);
  }
  child(bindings: LogFields): SupervisorLogger {
    return new PinoAdapter(this.target.child(bindings));
  }
}

class MessageMetaAdapter implements SupervisorLogger {
  constructor(
    private readonly target: MessageMetaLogger,
    private readonly bindings: LogFields = {},
  ) {}
  /** Returns what the logger returned, so that a promise it returns can be watched for rejection. */
  log(level: LogLevel, message: string, fields: LogFields = {}): unknown {
    const meta = { ...this.bindings, ...fields };
    if (level === 'trace')
      return this.target.trace ? this.target.trace(message, meta) : this.target.debug(message, meta);
    return this.target[level](message, meta);
  }
  child(bindings: LogFields): SupervisorLogger {
    return new MessageMetaAdapter(this.target, { ...this.bindings, ...bindings });
  }
}

class SilentLogger implements SupervisorLogger {
  log(): void {}
  child(): SupervisorLogger {
    return this;
  }
}

/** Adapts any supported logger; `undefined` logs nothing. The result never throws (see `GuardedLogger`). */
export function toSupervisorLogger(
  logger: LoggerOption | undefined,
  redact?: (text: string) => string,
): SupervisorLogger {
  if (logger === undefined) return new SilentLogger();
  const adapted = isPino(logger)
    ? new PinoAdapter(logger)
    : isSupervisorLogger(logger)
      ? logger
      : new MessageMetaAdapter(logger);
  return new GuardedLogger(adapted, new FaultReporter(warnOfLoggerFault(redact)));
}

/** The shape a logger must have, for the option check: the methods each kind of logger is called with. */
export function loggerShapeProblem(logger: unknown): string | undefined {
  if (typeof logger !== 'object' || logger === null) return 'not an object';
  const has = (name: string) => typeof (logger as Record<string, unknown>)[name] === 'function';
  if (has('log') && has('child') && !has('bindings')) return undefined;
  const levels = ['debug', 'info', 'warn', 'error'];
  const missing = levels.filter((level) => !has(level));
  if (missing.length > 0) return `no ${missing.join(', ')} method${missing.length > 1 ? 's' : ''}`;
  if (has('bindings') && !has('child')) return 'a pino-like logger without child()';
  return undefined;
}

/**
 * A logger that never throws into the supervisor: a log call that throws, or returns a promise that rejects, is
 * reported (once a minute at most, as a process warning: the logger itself cannot be trusted with it) and the
 * supervisor carries on as if the line had been written. `child()` is guarded the same way.
 */
export class GuardedLogger implements SupervisorLogger {
  constructor(
    private readonly target: SupervisorLogger,
    private readonly faults: FaultReporter,
    private readonly bindings: LogFields = {},
  ) {}

  log(level: LogLevel, message: string, fields?: LogFields): void {
    try {
      const fault = (error: unknown) => this.faults.report(`logger.${level}`, error);
      catchAsync(this.target.log(level, message, fields) as unknown, fault);
    } catch (error) {
      this.faults.report(`logger.${level}`, error);
    }
  }

  child(bindings: LogFields): SupervisorLogger {
    try {
      return new GuardedLogger(this.target.child(bindings), this.faults);
    } catch (error) {
      this.faults.report('logger.child', error);
      // Log through the parent with the bindings as fields instead.
      return new BoundLogger(this, { ...this.bindings, ...bindings });
    }
  }
}

/** A logger's child made by hand: its bindings become fields of each line. */
class BoundLogger implements SupervisorLogger {
  constructor(
    private readonly parent: SupervisorLogger,
    private readonly bindings: LogFields,
  ) {}
  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    this.parent.log(level, message, { ...this.bindings, ...fields });
  }
  child(bindings: LogFields): SupervisorLogger {
    return new BoundLogger(this.parent, { ...this.bindings, ...bindings });
  }
}

function warnOfLoggerFault(redact: ((text: string) => string) | undefined) {
  return (kind: string, error: unknown, suppressed: number) => {
    const text = describeThrown(error);
    process.emitWarning(
      `temporal-supervisor: the logger threw in ${kind}() and the line was dropped: ${redact ? redact(text) : text}` +
        (suppressed > 0 ? ` (${suppressed} more since the last warning)` : ''),
      { code: 'TEMPORAL_SUPERVISOR_LOGGER_FAULT' },
    );
  };
}
