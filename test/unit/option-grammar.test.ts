/**
 * The one grammar of option messages (src/options/check.ts's contract, docs/api.md): "Invalid option `field`:
 * expected …, received …. Fix." and "Unknown option `field`. Known options of `scope`: …". Each checker is
 * driven at its boundaries, and each message is read for its four parts: the field, the rule, the value as
 * received (strings quoted, numbers bare, functions named, objects as JSON) and a fix that names the field.
 */
import { describe, expect, it } from 'vitest';
import { isSupervisorOptionsError } from '../../src/index.js';
import {
  boolean,
  checkKeys,
  duration,
  fail,
  integer,
  isPlainObject,
  namedEntries,
  nonEmptyString,
  numberIn,
  objectOption,
  show,
} from '../../src/options/check.js';

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isSupervisorOptionsError(error)) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

/** "Invalid option `f`: expected <rule>, received <value>. <fix>" */
function parts(message: string) {
  const match = /^Invalid option `([^`]+)`: expected (.+), received (.+?)\. (.+)$/s.exec(message);
  if (!match) throw new Error(`not in the grammar: ${message}`);
  const [, field, rule, received, fix] = match as unknown as [string, string, string, string, string];
  return { field, rule, received, fix };
}

describe('show: a value as a message quotes it', () => {
  it('strings as JSON, numbers bare, functions named, objects as JSON, the rest as String()', () => {
    expect(show('5s')).toBe('"5s"');
    expect(show('')).toBe('""');
    expect(show(42)).toBe('42');
    expect(show(Number.NaN)).toBe('NaN');
    expect(show(10n)).toBe('10');
    expect(show(() => 1)).toBe('a function');
    expect(show({ a: 1 })).toBe('{"a":1}');
    expect(show([1, 'x'])).toBe('[1,"x"]');
    expect(show(null)).toBe('null');
    expect(show(true)).toBe('true');
    expect(show(undefined)).toBe('undefined');
    expect(show(Symbol('s'))).toBe('Symbol(s)');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(show(circular)).toBe('[object Object]');
  });
});

describe('fail and checkKeys: the two sentence shapes', () => {
  it('fail: field, rule, received value and fix, in that order', () => {
    const { field, message } = refusal(() => fail('a.b', 'a thing', 'x', 'Do this.'));
    expect(field).toBe('a.b');
    expect(message).toBe('Invalid option `a.b`: expected a thing, received "x". Do this.');
  });

  it('checkKeys: the first unknown key, scoped, with the known ones and the hint', () => {
    expect(() => checkKeys('backoff', { jitter: 1 }, ['jitter'])).not.toThrow();
    const scoped = refusal(() => checkKeys('backoff', { jitter: 1, jiter: 2, x: 3 }, ['jitter', 'maxDelay']));
    expect(scoped).toEqual({
      field: 'backoff.jiter',
      message: 'Unknown option `backoff.jiter`. Known options of `backoff`: jitter, maxDelay.',
    });
    const top = refusal(() => checkKeys('', { adress: 1 }, ['address'], 'Did you mean address?'));
    expect(top).toEqual({
      field: 'adress',
      message: 'Unknown option `adress`. Known options: address. Did you mean address?',
    });
  });
});

describe('duration: whole milliseconds, at least the minimum', () => {
  it('left out gives the fallback; numbers and strings are converted and rounded', () => {
    expect(duration('t', undefined, 5_000)).toBe(5_000);
    expect(duration('t', 250, 5_000)).toBe(250);
    expect(duration('t', '2s', 5_000)).toBe(2_000);
    expect(duration('t', 1.4, 5_000)).toBe(1);
    expect(duration('t', 2.6, 5_000)).toBe(3);
  });

  it('the minimum is inclusive (1 ms by default; 10 ms when given)', () => {
    expect(duration('t', 1, 5_000)).toBe(1);
    expect(duration('t', 10, 5_000, 10)).toBe(10);
    const below = parts(refusal(() => duration('t', 9, 5_000, 10)).message);
    expect(below.rule).toBe(
      "a duration of at least 10 ms and at most 2147483647 ms (~24.8 days) (milliseconds as a number, or a string such as '5s')",
    );
    expect(below.received).toBe('9');
    expect(below.fix).toBe("Pass e.g. `t: '5000ms'`, or leave it out for the default (5000 ms).");
  });

  it("the maximum is Node's longest timer, 2³¹−1 ms, inclusive ('30d' and 1e10 are refused)", () => {
    expect(duration('t', 2 ** 31 - 1, 5_000)).toBe(2 ** 31 - 1);
    for (const value of [2 ** 31, 1e10, '30d'])
      expect(refusal(() => duration('t', value, 5_000)).field).toBe('t');
  });

  it('refuses 0, negatives, NaN, Infinity and text that is not a duration, naming the field', () => {
    for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 'abc']) {
      const { field, message } = refusal(() => duration('healthCheck.interval', value as never, 2_000));
      expect(field).toBe('healthCheck.interval');
      expect(parts(message).field).toBe('healthCheck.interval');
    }
  });

  it('the fix suggests the larger of the minimum and the fallback', () => {
    expect(parts(refusal(() => duration('t', 0, 5, 10)).message).fix).toBe(
      "Pass e.g. `t: '10ms'`, or leave it out for the default (5 ms).",
    );
  });
});

describe('integer, numberIn, boolean, nonEmptyString', () => {
  it('integer: whole numbers from the minimum up; the fix gives the default', () => {
    expect(integer('n', undefined, 3, 1)).toBe(3);
    expect(integer('n', 1, 3, 1)).toBe(1);
    expect(integer('n', 0, 3, 0)).toBe(0);
    for (const value of [0, 1.5, Number.NaN, '2']) {
      const p = parts(refusal(() => integer('n', value as never, 3, 1)).message);
      expect(p.rule).toBe('a whole number of at least 1');
      expect(p.fix).toBe('Pass e.g. `n: 3` (the default).');
    }
  });

  it('numberIn: finite, both ends inclusive', () => {
    expect(numberIn('j', undefined, 0.2, 0, 1)).toBe(0.2);
    expect(numberIn('j', 0, 0.2, 0, 1)).toBe(0);
    expect(numberIn('j', 1, 0.2, 0, 1)).toBe(1);
    for (const value of [-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY, '0.5']) {
      const p = parts(refusal(() => numberIn('j', value as never, 0.2, 0, 1)).message);
      expect(p.rule).toBe('a number from 0 to 1');
      expect(p.fix).toBe('Pass e.g. `j: 0.2` (the default).');
    }
  });

  it('boolean: true or false only; the fix proposes the other value', () => {
    expect(boolean('f', undefined, false)).toBe(false);
    expect(boolean('f', true, false)).toBe(true);
    expect(boolean('f', false, true)).toBe(false);
    const p = parts(refusal(() => boolean('f', 'no' as never, false)).message);
    expect(p).toEqual({
      field: 'f',
      rule: 'true or false',
      received: '"no"',
      fix: 'Pass `f: true` or leave it out.',
    });
    expect(parts(refusal(() => boolean('f', 1 as never, true)).message).fix).toBe(
      'Pass `f: false` or leave it out.',
    );
  });

  it('nonEmptyString: any string of at least one character', () => {
    expect(nonEmptyString('ns', 'x', 'default')).toBe('x');
    for (const value of ['', 1, undefined]) {
      const p = parts(refusal(() => nonEmptyString('ns', value, 'default')).message);
      expect(p.rule).toBe('a non-empty string');
      expect(p.fix).toBe("Pass e.g. `ns: 'default'`.");
    }
  });
});

describe('objects: objectOption, isPlainObject, namedEntries', () => {
  it('isPlainObject: objects only, not null, arrays or primitives', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const value of [null, [], 'x', 1, undefined]) expect(isPlainObject(value)).toBe(false);
  });

  it('objectOption: left out is {}; not an object is refused; unknown keys are refused', () => {
    expect(objectOption('backoff', undefined, ['jitter'])).toEqual({});
    const given = { jitter: 0.1 };
    expect(objectOption('backoff', given, ['jitter'])).toBe(given);
    const p = parts(refusal(() => objectOption('backoff', [] as never, ['jitter'])).message);
    expect(p).toEqual({
      field: 'backoff',
      rule: 'an object',
      received: '[]',
      fix: 'Pass `backoff: { … }` or leave it out for the defaults.',
    });
    expect(refusal(() => objectOption('backoff', { jiter: 1 } as never, ['jitter'])).field).toBe(
      'backoff.jiter',
    );
  });

  it('namedEntries: names of 1 to 64 letters, digits, dot, underscore or dash', () => {
    expect(namedEntries('creators', undefined, '{}')).toEqual([]);
    const ok = { a: 1, 'A.b_c-9': 2, ['x'.repeat(64)]: 3 };
    expect(namedEntries('creators', ok, '{}').map(([name]) => name)).toEqual(Object.keys(ok));
    for (const bad of ['', 'x'.repeat(65), 'no space', 'é', 'a/b']) {
      const r = refusal(() => namedEntries('creators', { [bad]: 1 }, '{ orders: {} }'));
      expect(r.field).toBe(`creators.${bad}`);
      expect(parts(r.message).rule).toBe('a name of 1 to 64 letters, digits, `.`, `_` or `-`');
      expect(parts(r.message).fix).toBe("Pass e.g. `creators: { 'orders-1': … }`.");
    }
    const notObject = parts(
      refusal(() => namedEntries('creators', 'orders' as never, '{ orders: {} }')).message,
    );
    expect(notObject.rule).toBe('an object of creator options by name');
    expect(notObject.fix).toBe('Pass e.g. `creators: { orders: {} }`.');
  });
});
