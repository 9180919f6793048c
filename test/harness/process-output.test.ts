import { describe, expect, it } from 'vitest';
import { dynamicConfigFile } from '../../src/testing/cluster-config.js';
import { ProcessOutput } from '../../src/testing/output.js';

function withLines(count: number, sizes?: { head: number; tail: number }): ProcessOutput {
  const output = new ProcessOutput(sizes);
  for (let i = 1; i <= count; i++) output.push(`line ${i}`);
  return output;
}

describe('ProcessOutput', () => {
  it('no output: says so', () => {
    expect(new ProcessOutput().describe()).toBe('(no output)');
  });

  it('short output: every line once, no gap', () => {
    expect(withLines(5, { head: 3, tail: 10 }).describe(4)).toBe(
      ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'].join('\n'),
    );
  });

  it('long output: the first lines, how many were left out, and the last ones', () => {
    const output = withLines(1000, { head: 3, tail: 50 });
    expect(output.count).toBe(1000);
    expect(output.describe(2)).toBe(
      ['line 1', 'line 2', 'line 3', '[… 995 lines left out …]', 'line 999', 'line 1000'].join('\n'),
    );
    expect(output.tail(2)).toBe('line 999\nline 1000');
  });

  it('clear: starts over', () => {
    const output = withLines(10);
    output.clear();
    output.push('again');
    expect(output.describe()).toBe('again');
    expect(output.count).toBe(1);
  });
});

describe('dynamicConfigFile', () => {
  it('one unconstrained value per key, or the constrained list as given (JSON, which YAML reads)', () => {
    const file = dynamicConfigFile({
      'frontend.shutdownFailHealthCheckDuration': '4s',
      'limit.maxIDLength': [{ value: 255, constraints: { namespace: 'default' } }],
    });
    expect(JSON.parse(file)).toEqual({
      'frontend.shutdownFailHealthCheckDuration': [{ value: '4s' }],
      'limit.maxIDLength': [{ value: 255, constraints: { namespace: 'default' } }],
    });
  });
});
