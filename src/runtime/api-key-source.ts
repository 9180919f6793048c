import { describeThrown } from '../logging/faults.js';
import type { Clock } from './clock.js';

/** What a user may pass as `apiKey`: the key, or a function the supervisor calls for it (sync or async). */
export type ApiKeyProvider = () => string | PromiseLike<string>;

/** Printable ASCII and tab, at least 4 characters: what a header can carry, and what the options accept. */
const USABLE_KEY = /^[\t\x20-\x7e]{4,}$/;

export interface ApiKeySourceHooks {
  readonly clock: Clock;
  /** How often the provider is called again; also the bound of one call (at most 10 s). */
  readonly refreshMs: number;
  /** A fault of the provider (threw, rejected, hung, returned a bad key): reported rate-limited, never thrown. */
  readonly fault: (error: Error) => void;
  /** A new key, different from the last: redact it, hand it to every connection. Must not throw. */
  readonly changed: (key: string) => void;
}

/** The longest one provider call may take before it counts as hung (and a later call may start). */
const MAX_CALL_MS = 10_000;

/**
 * An `apiKey` function, guarded. The SDK reads the key synchronously for every call of a client connection, and
 * a worker's native connection takes only a string (`NativeConnection.setApiKey(string)`), so the provider is
 * not called per request: it is called at start and then every `refreshMs`, one call at a time, each bounded.
 * What the connections read is the last good key. A provider that throws, rejects, hangs, or returns something
 * that is not a usable key (not a string, shorter than 4 characters, a CR/LF or other control character) is a
 * fault: reported, and the last good key kept. It never throws into the SDK, and it changes no state.
 */
export class ApiKeySource {
  #key: string | undefined;
  #calling: Promise<void> | undefined;
  #timer: unknown;
  #stopped = false;
  /** Bumped per call: the answer of a call abandoned as hung is ignored. */
  #generation = 0;

  constructor(
    private readonly provider: ApiKeyProvider,
    private readonly hooks: ApiKeySourceHooks,
  ) {}

  /** The last good key; undefined until the provider first answered with one. Never throws. */
  readonly current = (): string | undefined => this.#key;

  /** Calls the provider now, and then every `refreshMs` until `stop()`. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    const tick = () => {
      this.#timer = this.hooks.clock.setTimeout(tick, this.hooks.refreshMs);
      void this.refresh();
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    this.hooks.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * A key, for a connection about to be made: the last good one at once, else the answer of the call in flight
   * (one is started when none is). Resolves undefined when the provider has not given a good key; never rejects.
   */
  async ready(): Promise<string | undefined> {
    if (this.#key !== undefined) return this.#key;
    await this.refresh();
    return this.#key;
  }

  /** One provider call, unless one is in flight (then that one). Settles when the call is done or abandoned. */
  refresh(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#calling ??= this.call().finally(() => {
      this.#calling = undefined;
    });
    return this.#calling;
  }

  private async call(): Promise<void> {
    const generation = ++this.#generation;
    const boundMs = Math.min(MAX_CALL_MS, this.hooks.refreshMs);
    let timer: unknown;
    const hung = new Promise<'hung'>((resolve) => {
      timer = this.hooks.clock.setTimeout(() => resolve('hung'), boundMs);
    });
    try {
      const answer = await Promise.race([this.invoke(), hung]);
      if (answer === 'hung') {
        this.hooks.fault(new Error(`the apiKey function did not answer within ${boundMs} ms`));
        return;
      }
      if (generation !== this.#generation || this.#stopped) return;
      if (typeof answer !== 'string' || !USABLE_KEY.test(answer)) {
        this.hooks.fault(new Error(`the apiKey function returned ${describeAnswer(answer)}`));
        return;
      }
      if (answer === this.#key) return;
      this.#key = answer;
      try {
        this.hooks.changed(answer);
      } catch (error) {
        this.hooks.fault(new Error(`applying the new API key failed: ${describeThrown(error)}`));
      }
    } catch (error) {
      // The provider's own error: its message is user text (it may quote the key), so only its name is kept.
      this.hooks.fault(new Error(`the apiKey function failed (${errorName(error)})`));
    } finally {
      this.hooks.clock.clearTimeout(timer);
    }
  }

  /** The provider's answer; a synchronous throw becomes a rejection. */
  private async invoke(): Promise<unknown> {
    return await this.provider();
  }
}

/** What a bad answer was, without showing it (it may be a key with a stray newline). */
function describeAnswer(answer: unknown): string {
  if (typeof answer !== 'string') return answer === null ? 'null' : typeof answer;
  if (answer.length < 4) return `a string of ${answer.length} characters (at least 4 are needed)`;
  return 'a string with a CR, LF or other control character (trim it)';
}

function errorName(error: unknown): string {
  try {
    return error instanceof Error ? error.name : typeof error;
  } catch {
    return 'an unprintable value';
  }
}
