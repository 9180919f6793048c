/** Loggers for tests: a real pino logger writing into memory, and a `(message, meta)` logger recording calls. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { LogFields, MessageMetaLogger } from '../../src/logging/logger.js';

/** A real pino logger writing JSON lines into memory; `lines()` parses every line written so far. */
export function pinoToMemory(level: pino.LevelWithSilent = 'trace', options: pino.LoggerOptions = {}) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level, ...options }, stream);
  const text = () => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, text };
}

export type Call = [level: string, message: string, meta: LogFields | undefined];

/** A logger of Temporal's `(message, meta)` shape that records its calls. */
export function messageMetaLogger(withTrace: boolean): { logger: MessageMetaLogger; calls: Call[] } {
  const calls: Call[] = [];
  const record = (level: string) => (message: string, meta?: LogFields) => {
    calls.push([level, message, meta]);
  };
  const logger: MessageMetaLogger = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    ...(withTrace ? { trace: record('trace') } : {}),
  };
  return { logger, calls };
}
