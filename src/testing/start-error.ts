/** Why a harness server start failed, with the first and last lines of the server's output. */

export interface DevServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A start that did not make a ready server: the process exited first (`exit` is set) or was not ready in time.
 * The message has the port, the command, the elapsed time and the first and last lines of the output.
 */
export class DevServerStartError extends Error {
  override readonly name = 'DevServerStartError';
  /** Port of the (last) attempt. */
  readonly port: number;
  /** How the process ended, if it exited by itself before it was ready; undefined after a readiness timeout. */
  readonly exit: DevServerExit | undefined;
  /** From spawning to the failure, in milliseconds. */
  readonly elapsedMs: number;
  /** The first and last lines of the server's output (see the message). */
  readonly output: string;
  /** Attempts made, this one included (a start that exits early is retried on a new port). */
  readonly attempts: number;

  constructor(
    message: string,
    fields: {
      port: number;
      exit: DevServerExit | undefined;
      elapsedMs: number;
      output: string;
      attempts?: number;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.port = fields.port;
    this.exit = fields.exit;
    this.elapsedMs = fields.elapsedMs;
    this.output = fields.output;
    this.attempts = fields.attempts ?? 1;
  }
}

export function describeExit({ code, signal }: DevServerExit): string {
  return code !== null ? `exit code ${code}` : signal !== null ? `signal ${signal}` : 'spawn failed';
}

/** One failed attempt in a few lines: port, exit, time and the first lines of its output. */
export function summarizeAttempt(attempt: number, error: unknown): string {
  if (!(error instanceof DevServerStartError))
    return `start attempt ${attempt} failed: ${error instanceof Error ? error.message : String(error)}`;
  const how = error.exit === undefined ? 'not ready' : describeExit(error.exit);
  const firstLines = error.output
    .split('\n')
    .slice(0, 8)
    .map((line) => `    ${line}`);
  return [
    `start attempt ${attempt} on port ${error.port} failed (${how} after ${error.elapsedMs} ms); first lines:`,
    ...firstLines,
  ].join('\n');
}

/** The last attempt's error, with the summaries of the earlier ones appended to its message. */
export function withEarlierAttempts(
  error: unknown,
  earlier: string[],
  attempts: number,
  maxAttempts: number,
): unknown {
  if (!(error instanceof DevServerStartError) || earlier.length === 0) return error;
  const { port, exit, elapsedMs, output } = error;
  return new DevServerStartError(
    `${error.message}\nAttempt ${attempts} of ${maxAttempts}; the earlier ones:\n${earlier.join('\n')}`,
    { port, exit, elapsedMs, output, attempts },
    { cause: error },
  );
}
