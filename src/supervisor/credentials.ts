import { SupervisorOptionsError } from '../errors.js';
import { createRedactor } from '../logging/redact.js';

/**
 * The secrets of one supervisor and the API key of the moment, #private: redaction reads them through
 * `redact`, which stays the same function when `rotate` adds a key, so that every part it was handed to (the
 * connector, the workers, the core log forwarder) redacts the new key too. Old keys stay redacted.
 */
export class Credentials {
  #secrets: readonly string[];
  #redactor: (text: string) => string;
  #apiKey: string | undefined;

  constructor(secrets: readonly string[], apiKey: string | undefined) {
    this.#secrets = secrets;
    this.#redactor = createRedactor(secrets);
    this.#apiKey = apiKey;
  }

  readonly redact = (text: string): string => this.#redactor(text);

  /** The API key to send now; undefined when none was configured. */
  readonly apiKey = (): string | undefined => this.#apiKey;

  secrets(): readonly string[] {
    return this.#secrets;
  }

  /** @throws {SupervisorOptionsError} when no API key was configured: the connections send none to rotate. */
  rotate(apiKey: string): void {
    if (this.#apiKey === undefined) {
      throw new SupervisorOptionsError(
        'apiKey',
        'setApiKey: this supervisor was created without an `apiKey`, so its connections send none to rotate. Create it with `apiKey` (or TEMPORAL_API_KEY).',
      );
    }
    this.#apiKey = apiKey;
    this.#secrets = [...this.#secrets, apiKey];
    this.#redactor = createRedactor(this.#secrets);
  }

  toJSON(): { credentials: 'redacted' } {
    return { credentials: 'redacted' };
  }
}
