/** What the commands write to and read from: the process in production, buffers in tests. */

import type { FailureInfo } from '../index.js';
import { createRedactor } from '../logging/redact.js';

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `handler` on SIGINT or SIGTERM until the returned function is called. */
  onSignal(handler: (signal: StopSignal) => void): () => void;
}

/**
 * Output with every known secret scrubbed, whatever the text: the last line of defence behind the library's
 * own redaction. Secrets can be added once the configuration is loaded (a key read from a file).
 */
export class Output {
  private redact: (text: string) => string = (text) => text;
  private readonly secrets: string[] = [];

  constructor(private readonly io: CliIo) {}

  addSecrets(secrets: readonly (string | undefined)[]): void {
    for (const secret of secrets) {
      if (!secret) continue;
      this.secrets.push(secret);
      // As messages quote it (`got ${JSON.stringify(value)}`): a `"` or `\\` in it is escaped there.
      const quoted = JSON.stringify(secret).slice(1, -1);
      if (quoted !== secret) this.secrets.push(quoted);
      // A PEM key: each line of its body too, in case one is quoted on its own.
      for (const line of secret.split(/\r?\n/)) {
        if (line.length >= 16 && !line.startsWith('-----')) this.secrets.push(line);
      }
    }
    this.redact = createRedactor(this.secrets);
  }

  get stderrIsTTY(): boolean {
    return this.io.stderr.isTTY === true;
  }

  get columns(): number {
    // 0 when the terminal does not say (e.g. under `script`).
    return this.io.stderr.columns || 80;
  }

  /** One line on stdout (the verdict). */
  out(line: string): void {
    this.io.stdout.write(`${this.redact(line)}\n`);
  }

  /**
   * One JSON object on one stdout line. Strings are scrubbed before `JSON.stringify`, which would escape a
   * secret's `"`, `\\` or newline so that the scrubbed line no longer contains it verbatim.
   */
  json(value: unknown): void {
    this.out(
      JSON.stringify(value, (_key, field: unknown) =>
        typeof field === 'string' ? this.redact(field) : field,
      ),
    );
  }

  /** One line on stderr (progress, warnings, errors). */
  err(line: string): void {
    this.io.stderr.write(`${this.redact(line)}\n`);
  }

  /** Raw text on stderr, no newline (the terminal's updating progress line). */
  errRaw(text: string): void {
    this.io.stderr.write(this.redact(text));
  }
}

/** The secrets in the environment the connection settings come from. */
export function environmentSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (name === 'TEMPORAL_API_KEY' || name === 'TEMPORAL_TLS_CLIENT_KEY_DATA') secrets.push(value);
    // gRPC metadata may carry credentials (authorization, tokens): scrub all of it.
    else if (name.startsWith('TEMPORAL_GRPC_META_') || name === 'TEMPORAL_CODEC_AUTH') {
      secrets.push(value, value.replace(/^bearer\s+/i, ''));
    }
  }
  return secrets;
}

/** `12 ms`, `3.2 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.round(ms / 100) / 10).toString()} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** `CODE: message`, on one line. */
export function describeFailure(failure: FailureInfo): string {
  return `${failure.code}: ${failure.message.replace(/\s+/g, ' ').trim()}`;
}

/**
 * A failure that waiting cannot fix: a permanent one (TLS, credentials, an unsupported server), except a
 * missing namespace, which a setup job may be about to create.
 */
export function isMisconfiguration(failure: FailureInfo | undefined): boolean {
  return failure?.kind === 'permanent' && failure.code !== 'NAMESPACE_NOT_FOUND';
}

/** The target as the verdict lines name it. */
export function target(address: string, namespace: string): string {
  return `${address} namespace ${namespace}`;
}

/** The first line of an error's message. */
export function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n', 1)[0] ?? '';
}
