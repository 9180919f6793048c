/** `--help` texts, rendered from the command specs so that they list exactly what the parser accepts. */
import {
  COMMAND_NAMES,
  COMMANDS,
  type CommandName,
  type CommandSpec,
  type FlagSpec,
  RECORD_COMMAND,
  TOP_LEVEL_FLAGS,
} from './spec.js';

const WIDTH = 100;

function wrap(text: string, indent: number, width = WIDTH): string {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && pad.length + line.length + 1 + word.length > width) {
      lines.push(pad + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(pad + line);
  return lines.join('\n');
}

function flagLabel(flag: FlagSpec): string {
  const short = flag.short ? `-${flag.short}, ` : '    ';
  return `${short}--${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
}

function flagLines(flags: readonly FlagSpec[]): string {
  const labelWidth = Math.max(...flags.map((f) => flagLabel(f).length)) + 2;
  return flags
    .map((flag) => {
      const notes = [flag.env ? `env ${flag.env}` : '', flag.default ? `default ${flag.default}` : '']
        .filter(Boolean)
        .join('; ');
      const text = `${flag.help}${notes ? ` [${notes}]` : ''}`;
      const label = `  ${flagLabel(flag)}`.padEnd(labelWidth + 2);
      return label + wrap(text, labelWidth + 2).trimStart();
    })
    .join('\n');
}

/** Help of one command, or of the whole tool. */
export function helpText(topic: CommandName | undefined, version: string): string {
  if (topic === undefined) {
    const nameWidth = Math.max(...COMMAND_NAMES.map((n) => n.length)) + 4;
    return [
      `temporal-supervisor ${version}: wait for Temporal and check it from scripts, containers and probes; draw the supervisor's machines.`,
      '',
      'Usage: temporal-supervisor <command> [flags]',
      '',
      'Commands:',
      ...COMMAND_NAMES.map((name) => `  ${name.padEnd(nameWidth)}${COMMANDS[name].summary}`),
      `  ${RECORD_COMMAND.name.padEnd(nameWidth)}${RECORD_COMMAND.summary}`,
      `  ${'demo'.padEnd(nameWidth)}Start a dev server, a sample service and the inspector: watch outages happen (--tour).`,
      '',
      'Flags:',
      flagLines(TOP_LEVEL_FLAGS),
      '',
      wrap(
        'Connection settings follow the `temporal` CLI: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE (a TOML profile); flags override them. Secrets are never printed.',
        0,
      ),
      '',
      'Run `temporal-supervisor <command> --help` for its flags and exit codes.',
      '',
    ].join('\n');
  }
  return commandHelp(COMMANDS[topic]);
}

/** Help of one command, from its spec. */
export function commandHelp(spec: CommandSpec): string {
  return [
    `${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    ...spec.description.flatMap((paragraph) => [wrap(paragraph, 0), '']),
    'Flags:',
    flagLines(spec.flags),
    '',
    'Exit codes:',
    ...spec.exitCodes.map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`),
    '',
    'Examples:',
    ...spec.examples.map((example) => `  ${example}`),
    '',
  ].join('\n');
}
