import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import type { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type LogFields,
  type LogLevel,
  type MessageMetaLogger,
  type SupervisorLogger,
  toSupervisorLogger,
} from '../../src/logging/logger.js';
import { pinoToMemory as memoryPino, messageMetaLogger } from '../support/loggers.js';

function pinoToMemory(level: pino.LevelWithSilent = 'trace') {
  return memoryPino(level, { base: undefined, timestamp: false });
}

const PINO_LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

describe('toSupervisorLogger with a pino logger', () => {
  it('writes the fixed message as msg and the fields as JSON fields', () => {
    const { logger, lines } = pinoToMemory();
    const log = toSupervisorLogger(logger);
    log.log('warn', 'Connection attempt failed', { attempt: 3, delayMs: 480, code: 'UNAVAILABLE' });
    expect(lines()).toEqual([
      { level: 40, msg: 'Connection attempt failed', attempt: 3, delayMs: 480, code: 'UNAVAILABLE' },
    ]);
  });

  it('maps every level to the pino level of the same name', () => {
    const { logger, lines } = pinoToMemory();
    const log = toSupervisorLogger(logger);
    const levels: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
    for (const level of levels) log.log(level, `at ${level}`, { level_name: level });
    expect(lines()).toEqual(
      levels.map((level) => ({ level: PINO_LEVELS[level], msg: `at ${level}`, level_name: level })),
    );
  });

  it('logs a message without fields', () => {
    const { logger, lines } = pinoToMemory();
    toSupervisorLogger(logger).log('info', 'Supervisor started');
    expect(lines()).toEqual([{ level: 30, msg: 'Supervisor started' }]);
  });

  it("respects the pino logger's level", () => {
    const { logger, lines } = pinoToMemory('warn');
    const log = toSupervisorLogger(logger);
    log.log('info', 'hidden');
    log.log('debug', 'hidden too');
    log.log('error', 'shown');
    expect(lines().map((line) => line.msg)).toEqual(['shown']);
  });

  it('keeps child bindings, nested children included, alongside the fields', () => {
    const { logger, lines } = pinoToMemory();
    const root = toSupervisorLogger(logger);
    const child = root.child({ component: 'temporal-supervisor', address: 'localhost:7233' });
    const grandchild = child.child({ connectionId: 4 });
    child.log('info', 'State changed', { from: 'connecting', to: 'connected' });
    grandchild.log('debug', 'Probe ok', { latencyMs: 2.5 });
    root.log('info', 'No bindings');
    expect(lines()).toEqual([
      {
        level: 30,
        msg: 'State changed',
        component: 'temporal-supervisor',
        address: 'localhost:7233',
        from: 'connecting',
        to: 'connected',
      },
      {
        level: 20,
        msg: 'Probe ok',
        component: 'temporal-supervisor',
        address: 'localhost:7233',
        connectionId: 4,
        latencyMs: 2.5,
      },
      { level: 30, msg: 'No bindings' },
    ]);
  });

  it('keeps bindings the pino logger already had', () => {
    const { logger, lines } = pinoToMemory();
    toSupervisorLogger(logger.child({ service: 'billing' })).log('info', 'hello', { a: 1 });
    expect(lines()).toEqual([{ level: 30, msg: 'hello', service: 'billing', a: 1 }]);
  });
});

describe('toSupervisorLogger with a Temporal-shaped (message, meta) logger', () => {
  it('calls the method of the level with (message, meta)', () => {
    const { logger, calls } = messageMetaLogger(true);
    const log = toSupervisorLogger(logger);
    log.log('info', 'Supervisor started', { address: 'localhost:7233' });
    log.log('warn', 'Connection attempt failed', { attempt: 2, delayMs: 170 });
    log.log('error', 'Gave up', {});
    log.log('debug', 'Probe ok');
    log.log('trace', 'Tick', { n: 1 });
    expect(calls).toEqual([
      ['info', 'Supervisor started', { address: 'localhost:7233' }],
      ['warn', 'Connection attempt failed', { attempt: 2, delayMs: 170 }],
      ['error', 'Gave up', {}],
      ['debug', 'Probe ok', {}],
      ['trace', 'Tick', { n: 1 }],
    ]);
  });

  it('merges child bindings into meta; fields win over bindings; children nest', () => {
    const { logger, calls } = messageMetaLogger(true);
    const child = toSupervisorLogger(logger).child({ component: 'temporal-supervisor', attempt: 0 });
    const grandchild = child.child({ connectionId: 7 });
    child.log('info', 'State changed', { to: 'connected', attempt: 1 });
    grandchild.log('warn', 'Probe slow', { latencyMs: 800 });
    expect(calls).toEqual([
      ['info', 'State changed', { component: 'temporal-supervisor', attempt: 1, to: 'connected' }],
      [
        'warn',
        'Probe slow',
        { component: 'temporal-supervisor', attempt: 0, connectionId: 7, latencyMs: 800 },
      ],
    ]);
  });

  it('does not let one child change the bindings of its parent or siblings', () => {
    const { logger, calls } = messageMetaLogger(true);
    const parent = toSupervisorLogger(logger).child({ a: 1 });
    parent.child({ b: 2 });
    const sibling = parent.child({ c: 3 });
    parent.log('info', 'parent');
    sibling.log('info', 'sibling');
    expect(calls).toEqual([
      ['info', 'parent', { a: 1 }],
      ['info', 'sibling', { a: 1, c: 3 }],
    ]);
  });

  it('does not mutate the fields object it is given', () => {
    const { logger } = messageMetaLogger(true);
    const fields = { attempt: 1 };
    toSupervisorLogger(logger).child({ component: 'x' }).log('info', 'm', fields);
    expect(fields).toEqual({ attempt: 1 });
  });

  it('falls back to debug for trace when the logger has no trace method', () => {
    const { logger, calls } = messageMetaLogger(false);
    expect(logger.trace).toBeUndefined();
    toSupervisorLogger(logger).child({ component: 'c' }).log('trace', 'Tick', { n: 2 });
    expect(calls).toEqual([['debug', 'Tick', { component: 'c', n: 2 }]]);
  });

  it("works with the Temporal SDK's own DefaultLogger", () => {
    const entries: LogEntry[] = [];
    const target = new DefaultLogger('TRACE', (entry) => entries.push(entry));
    const log = toSupervisorLogger(target).child({ component: 'temporal-supervisor' });
    log.log('warn', 'Connection attempt failed', { attempt: 2, delayMs: 170 });
    log.log('trace', 'Tick');
    expect(entries.map(({ level, message, meta }) => ({ level, message, meta }))).toEqual([
      {
        level: 'WARN',
        message: 'Connection attempt failed',
        meta: { component: 'temporal-supervisor', attempt: 2, delayMs: 170 },
      },
      { level: 'TRACE', message: 'Tick', meta: { component: 'temporal-supervisor' } },
    ]);
  });

  it('works with a class-based logger whose methods use `this`', () => {
    class PrefixLogger implements MessageMetaLogger {
      readonly lines: string[] = [];
      constructor(private readonly prefix: string) {}
      private write(level: string, message: string, meta?: LogFields) {
        this.lines.push(`${this.prefix} ${level} ${message} ${JSON.stringify(meta)}`);
      }
      debug(message: string, meta?: LogFields) {
        this.write('DEBUG', message, meta);
      }
      info(message: string, meta?: LogFields) {
        this.write('INFO', message, meta);
      }
      warn(message: string, meta?: LogFields) {
        this.write('WARN', message, meta);
      }
      error(message: string, meta?: LogFields) {
        this.write('ERROR', message, meta);
      }
    }
    const target = new PrefixLogger('[svc]');
    const log = toSupervisorLogger(target);
    log.log('info', 'hello', { a: 1 });
    log.log('trace', 'tick');
    expect(target.lines).toEqual(['[svc] INFO hello {"a":1}', '[svc] DEBUG tick {}']);
  });
});

describe('toSupervisorLogger with other loggers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('uses a SupervisorLogger as it is (behind the guard that keeps its faults out)', () => {
    const lines: unknown[][] = [];
    const own: SupervisorLogger = {
      log: (...args) => void lines.push(args),
      child: () => own,
    };
    toSupervisorLogger(own).child({ a: 1 }).log('info', 'hello', { b: 2 });
    expect(lines).toStrictEqual([['info', 'hello', { b: 2 }]]);
  });

  it('with undefined is silent, its children too', () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const consoleMethods = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      vi.spyOn(console, method),
    );
    const log = toSupervisorLogger(undefined);
    const child = log.child({ component: 'x' });
    for (const target of [log, child]) {
      for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) {
        expect(() => target.log(level, 'nothing', { a: 1 })).not.toThrow();
      }
    }
    expect(typeof child.log).toBe('function');
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    for (const spy of consoleMethods) expect(spy).not.toHaveBeenCalled();
  });
});
