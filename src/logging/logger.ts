/**
 * One logging interface inside the library, adapted from either a pino logger (`logger.info(fields, msg)`)
 * or any logger of Temporal's `(message, meta)` shape (`logger.info(msg, meta)`). Messages are fixed strings;
 * everything variable goes into the fields, so log lines can be filtered and parsed.
 */

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
  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    (this.target[level] as (fields: LogFields, message: string) => void)(fields, message);
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
  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    const meta = { ...this.bindings, ...fields };
    if (level === 'trace') {
      if (this.target.trace) this.target.trace(message, meta);
      else this.target.debug(message, meta);
      return;
    }
    this.target[level](message, meta);
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

/** Adapts any supported logger; `undefined` logs nothing. */
export function toSupervisorLogger(logger: LoggerOption | undefined): SupervisorLogger {
  if (logger === undefined) return new SilentLogger();
  if (isPino(logger)) return new PinoAdapter(logger);
  if (isSupervisorLogger(logger)) return logger;
  return new MessageMetaAdapter(logger);
}
