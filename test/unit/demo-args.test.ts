import { describe, expect, it } from 'vitest';
import { DEMO_HELP, parseDemoArgs } from '../../src/cli/demo.js';

describe('parseDemoArgs', () => {
  it('defaults: interactive, own server, default ports left to the demo', () => {
    expect(parseDemoArgs([])).toEqual({ tour: false, verbose: false });
  });

  it('reads every flag', () => {
    expect(
      parseDemoArgs([
        '--tour',
        '--address',
        '10.0.0.5:7233',
        '--namespace',
        'orders',
        '--port',
        '0',
        '--inspector-port',
        '9300',
        '--verbose',
      ]),
    ).toEqual({
      tour: true,
      verbose: true,
      address: '10.0.0.5:7233',
      namespace: 'orders',
      port: 0,
      inspectorPort: 9300,
    });
    expect(parseDemoArgs(['-h'])).toBe('help');
    expect(parseDemoArgs(['--help'])).toBe('help');
  });

  it.each([
    [['--port', 'abc'], /--port to be a port number from 0 to 65535.*'abc'/],
    [['--inspector-port', '70000'], /--inspector-port to be a port number.*'70000'/],
    [['--port', '-1'], /--port/],
    [['--namespace', 'x'], /--namespace applies to a server given with --address/],
    [['--bogus'], /bogus/],
    [['extra'], /extra/],
  ])('rejects %j naming the flag', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });

  it.each([
    [['--port', '-1'], "Expected --port to be a port number from 0 to 65535 (0: any free port), got '-1'."],
    [['--tuor'], 'Unknown flag --tuor for `demo`. Did you mean --tour?'],
    [['--address'], '--address needs a value: --address host:port.'],
    [
      ['--address', '-x'],
      '--address needs a value, and "-x" reads as a flag. A value that starts with "-" is written --address=VALUE.',
    ],
    [['extra'], '`demo` takes no arguments, only flags; got "extra".'],
  ])('words %j as the other commands do: flag, value, fix', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(new Error(message));
  });

  it('the help names every flag', () => {
    for (const flag of [
      '--tour',
      '--address',
      '--namespace',
      '--port',
      '--inspector-port',
      '--verbose',
      '--help',
    ]) {
      expect(DEMO_HELP).toContain(flag);
    }
  });
});
