/**
 * `record`: follows a running inspector's event stream and writes the session as one self-contained HTML
 * file (the inspector's page with the recording inside it, replayed offline). See docs/inspector.md.
 */
import { writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import type { Hello } from '../inspector/model.js';
import { type RecordedEvent, renderRecording } from '../inspector/page.js';
import { sseReader } from '../inspector/sse.js';
import { parseDuration, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { type CliIo, errorLine, Output } from './io.js';
import { RECORD_COMMAND } from './spec.js';

export interface RecordOptions {
  /** The inspector's base URL, without the token. */
  readonly url: URL;
  readonly token: string | undefined;
  readonly out: string;
  readonly durationMs: number | undefined;
}

/** Events kept at most; older ones are dropped (the file says from when it holds the session). */
const MAX_EVENTS = 200_000;
const RECONNECT_MS = 1_000;
const TOKEN_ENV = 'TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN';

/**
 * Reads `record`'s flags (`argv` without `record`): 'help', or the options.
 * @throws {UsageError} naming the flag and the fix.
 */
export function parseRecordArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  now = new Date(),
): RecordOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(
      RECORD_COMMAND.flags.map((flag) => [
        flag.name,
        { type: flag.type, ...(flag.short ? { short: flag.short } : {}) },
      ]),
    );
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    // A stray argument is not quoted back: it may be a token after `--token= ` (a space too many).
    if ((error as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(
        '`record` takes only flags, and an argument without one was given (a space after `--flag=`?). Run `temporal-supervisor record --help`.',
      );
    }
    // Node's other messages name the option, never a value.
    throw new UsageError(`${errorLine(error)}. Run \`temporal-supervisor record --help\`.`);
  }
  if (values.help === true) return 'help';
  const given = values.url;
  if (typeof given !== 'string' || given.length === 0) {
    throw new UsageError("--url is required: the inspector's address, e.g. --url http://127.0.0.1:9233/.");
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(
      `--url expects an http(s) URL such as http://127.0.0.1:9233/; got ${JSON.stringify(given)}.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url expects an http: or https: URL; got ${url.protocol}.`);
  }
  const fromUrl = url.searchParams.get('token') ?? undefined;
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const token = (typeof values.token === 'string' ? values.token : undefined) ?? fromUrl ?? env[TOKEN_ENV];
  const durationMs =
    typeof values.duration === 'string'
      ? parseDuration('duration', values.duration, { min: 1_000 })
      : undefined;
  const out =
    typeof values.out === 'string' && values.out.length > 0
      ? values.out
      : `inspector-recording-${now.toISOString().replace(/[:.]/g, '-')}.html`;
  return { url, token: token || undefined, out, durationMs };
}

type Entry = { readonly at: number } & Record<string, unknown>;

/** Entries remembered to recognise them in the `hello` of a reopened stream. */
const REMEMBERED = 20_000;

/**
 * The recording being made: the first `hello`, then every event after it. When a stream is reopened, the
 * new `hello`'s history adds what was missed in between: entries not among the last ones recorded and no
 * older than the oldest of those (the history's older part was recorded already).
 */
class Recording {
  hello: Hello | undefined;
  readonly events: RecordedEvent[] = [];
  private readonly keys = new Map<string, number>();
  dropped = 0;

  onHello(hello: Hello): void {
    if (this.hello === undefined) {
      this.hello = hello;
      for (const entry of hello.timeline) this.remember(entry as unknown as Entry);
      return;
    }
    const floor = Math.min(...this.keys.values());
    for (const entry of hello.timeline as unknown as Entry[]) {
      if (entry.at >= floor && !this.keys.has(JSON.stringify(entry))) this.push(String(entry.kind), entry);
    }
    this.push('snapshot', hello.snapshot);
  }

  onEvent(event: string, data: unknown): void {
    if (this.hello !== undefined) this.push(event, data);
  }

  private remember(entry: Entry): void {
    this.keys.set(JSON.stringify(entry), entry.at);
    if (this.keys.size > REMEMBERED) this.keys.delete(this.keys.keys().next().value as string);
  }

  private push(event: string, data: unknown): void {
    if (event !== 'snapshot') this.remember(data as Entry);
    this.events.push({ event, data });
    if (this.events.length > MAX_EVENTS) {
      this.events.shift();
      this.dropped++;
    }
  }

  get entries(): number {
    return (this.hello?.timeline.length ?? 0) + this.events.filter((e) => e.event !== 'snapshot').length;
  }
}

/** Why a stream ended. */
type StreamEnd = { readonly kind: 'ended' } | { readonly kind: 'refused'; readonly message: string };

/** Follows one `/events` stream until it ends, the signal aborts, or the server refuses it. */
function follow(options: RecordOptions, recording: Recording, signal: AbortSignal): Promise<StreamEnd> {
  return new Promise((resolve, reject) => {
    const url = new URL('events', options.url);
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { headers, signal, agent: false }, (res: IncomingMessage) => {
      if (res.statusCode !== 200 || !/^text\/event-stream/.test(res.headers['content-type'] ?? '')) {
        res.resume();
        const why =
          res.statusCode === 401
            ? 'the inspector refused the token (401): pass it with TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN or --token'
            : `${url.origin}${url.pathname} is not an inspector's event stream (HTTP ${res.statusCode})`;
        resolve({ kind: 'refused', message: why });
        return;
      }
      res.setEncoding('utf8');
      res.on(
        'data',
        sseReader((event, data) => {
          try {
            const parsed = JSON.parse(data) as unknown;
            if (event === 'hello') recording.onHello(parsed as Hello);
            else recording.onEvent(event, parsed);
          } catch {
            // A frame that is not JSON is not ours: skipped.
          }
        }),
      );
      res.on('end', () => resolve({ kind: 'ended' }));
      res.on('error', () => resolve({ kind: 'ended' }));
    });
    req.on('error', (error) => (signal.aborted ? resolve({ kind: 'ended' }) : reject(error)));
    req.end();
  });
}

/** Records until stopped, then writes the file. Returns the exit code. */
export async function runRecord(options: RecordOptions, io: CliIo): Promise<number> {
  const output = new Output(io);
  output.addSecrets([options.token]);
  const stop = new AbortController();
  const started = Date.now();
  const unsubscribe = io.onSignal(() => stop.abort());
  const timer =
    options.durationMs === undefined ? undefined : setTimeout(() => stop.abort(), options.durationMs);
  const recording = new Recording();
  output.err(
    `recording ${options.url.href}${options.durationMs === undefined ? ' until Ctrl-C' : ` for ${options.durationMs / 1_000} s`}…`,
  );
  let failure: string | undefined;
  try {
    while (!stop.signal.aborted) {
      let end: StreamEnd;
      try {
        end = await follow(options, recording, stop.signal);
      } catch (error) {
        if (recording.hello === undefined) {
          failure = `could not reach the inspector at ${options.url.href}: ${errorLine(error)}`;
          break;
        }
        // The inspector went away: what was recorded is written.
        output.err(`the inspector went away (${errorLine(error)}): writing what was recorded`);
        break;
      }
      if (end.kind === 'refused') {
        failure = end.message;
        break;
      }
      if (stop.signal.aborted) break;
      // The inspector closed the stream (its lifetime, or a slow read): reopen it.
      await new Promise<void>((r) => {
        const wait = setTimeout(r, RECONNECT_MS);
        stop.signal.addEventListener('abort', () => {
          clearTimeout(wait);
          r();
        });
      });
    }
  } finally {
    unsubscribe();
    clearTimeout(timer);
  }
  if (recording.hello === undefined) {
    output.err(`error: ${failure ?? 'the inspector sent nothing before recording stopped'}`);
    return EXIT.failed;
  }
  const html = renderRecording(recording.hello, recording.events, Date.now() - started + recording.hello.now);
  try {
    await writeFile(options.out, html);
  } catch (error) {
    output.err(`error: could not write ${options.out}: ${errorLine(error)}`);
    return EXIT.failed;
  }
  const dropped = recording.dropped > 0 ? ` (the oldest ${recording.dropped} events dropped)` : '';
  output.out(`wrote ${options.out}: ${recording.entries} entries, ${html.length} bytes${dropped}`);
  if (failure) output.err(`warning: ${failure}`);
  return EXIT.ok;
}
