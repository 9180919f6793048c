import { describe, expect, it } from 'vitest';
import { check, cycles, layerOf } from '../../scripts/check-architecture.js';

describe('check-architecture', () => {
  it('passes on the tree as it is', () => {
    expect(check()).toStrictEqual([]);
  });

  it('puts each folder in its layer, lowest first', () => {
    expect(layerOf('machines/connection.machine.ts')).toBe(0);
    expect(layerOf('src/errors.ts')).toBe(1);
    expect(layerOf('src/logging/logger.ts')).toBe(1);
    expect(layerOf('src/runtime/request-gate.ts')).toBe(2);
    expect(layerOf('src/options/resolve.ts')).toBe(3);
    expect(layerOf('src/children/creator.ts')).toBe(3);
    expect(layerOf('src/temporal/connector.ts')).toBe(3);
    expect(layerOf('src/supervisor/supervisor.ts')).toBe(4);
    expect(layerOf('src/index.ts')).toBe(5);
    expect(layerOf('src/cli/main.ts')).toBe(5);
  });

  it('finds a circle, of two files or more, and none in a tree', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toStrictEqual([]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toStrictEqual([['a', 'b', 'a']]);
    expect(
      cycles(
        new Map([
          ['x', ['y']],
          ['y', ['z']],
          ['z', ['x']],
        ]),
      ),
    ).toStrictEqual([['x', 'y', 'z', 'x']]);
  });
});
