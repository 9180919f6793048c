import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { onJsonLines } from '../../src/demo/json-lines.js';

describe('onJsonLines', () => {
  it('parses one object per line across chunk boundaries, skipping blank and non-JSON lines', () => {
    const stream = new PassThrough();
    const events: unknown[] = [];
    onJsonLines(stream, (event) => events.push(event));
    stream.write('{"a":1}\n{"b"');
    expect(events).toEqual([{ a: 1 }]);
    stream.write(':2}\n\nnot json\n{"c":3}');
    expect(events).toEqual([{ a: 1 }, { b: 2 }]);
    stream.write('\n');
    expect(events).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('strict: a line that is not JSON throws', () => {
    const stream = new PassThrough();
    onJsonLines(stream, () => {}, { strict: true });
    expect(() => stream.emit('data', Buffer.from('oops\n'))).toThrow(SyntaxError);
  });
});
