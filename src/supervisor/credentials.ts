import { X509Certificate } from 'node:crypto';
import type { TLSConfig } from '@temporalio/client';
import { SupervisorOptionsError } from '../errors.js';
import { describeThrown } from '../logging/faults.js';
import type { SupervisorLogger } from '../logging/logger.js';
import { createRedactor } from '../logging/redact.js';
import { secretsOf } from '../options/connection.js';
import type { ResolvedOptions } from '../options/types.js';
import { ApiKeySource } from '../runtime/api-key-source.js';
import type { Clock } from '../runtime/clock.js';
import type { CredentialChange, CredentialSource } from '../runtime/credential-source.js';
import { TlsFileWatcher, type TlsMaterial, tlsConfigOf } from '../temporal/tls-files.js';

type Listener = (change: CredentialChange) => void | Promise<void>;

type CredentialOptions = Pick<
  ResolvedOptions,
  'secrets' | 'apiKey' | 'apiKeyProvider' | 'apiKeyRefreshMs' | 'tls' | 'tlsFiles' | 'metadata'
>;

/**
 * The secrets of one supervisor and its credentials of the moment, #private: redaction reads them through
 * `redact`, which stays the same function when a key or a certificate is added, so that every part it was handed
 * to (the connector, the workers, the core log forwarder) redacts the new one too. Old ones stay redacted.
 * The API key comes from the options, `setApiKey`, or an `apiKey` function (ApiKeySource); the TLS pair from
 * the options or from files re-read on change (TlsFileWatcher). Every change goes to the listeners: the
 * connector (client connections) and each worker (native connections).
 */
export class Credentials implements CredentialSource {
  #secrets: readonly string[];
  #redactor: (text: string) => string;
  #apiKey: string | undefined;
  #tls: TLSConfig | boolean | undefined;
  readonly #keySource: ApiKeySource | undefined;
  readonly #tlsWatcher: TlsFileWatcher | undefined;
  readonly #listeners = new Set<Listener>();
  readonly hasApiKey: boolean;

  constructor(
    options: CredentialOptions,
    clock: Clock,
    private readonly log: SupervisorLogger,
    /** Reports a fault of user code or files, rate-limited (the runtime's FaultReporter). */
    private readonly fault: (kind: string, error: unknown) => void,
  ) {
    this.#secrets = options.secrets;
    this.#redactor = createRedactor(options.secrets);
    this.#apiKey = options.apiKey;
    this.#tls = options.tls;
    this.hasApiKey = options.apiKey !== undefined || options.apiKeyProvider !== undefined;
    if (options.apiKeyProvider) {
      this.#keySource = new ApiKeySource(options.apiKeyProvider, {
        clock,
        refreshMs: options.apiKeyRefreshMs,
        fault: (error) => this.fault('apiKey function', error),
        changed: (key) => {
          const first = this.#apiKey === undefined;
          this.use(key).then(
            () => {
              if (!first) this.log.log('info', 'API key rotated', { source: 'apiKey function' });
            },
            () => {},
          );
        },
      });
    }
    const files = options.tlsFiles;
    const tls = options.tls;
    if (files && typeof tls === 'object' && tls.clientCertPair) {
      const initial = { crt: Buffer.from(tls.clientCertPair.crt), key: Buffer.from(tls.clientCertPair.key) };
      const ca = tls.serverRootCACertificate ? Buffer.from(tls.serverRootCACertificate) : undefined;
      this.#tlsWatcher = new TlsFileWatcher(
        files,
        { ...initial, ca },
        {
          clock,
          fault: (error) => this.fault('tls files', error),
          changed: (material) => void this.useTls(tlsConfigOf(files, material), material),
        },
      );
    }
  }

  readonly redact = (text: string): string => this.#redactor(text);

  /** The API key to send now; undefined when none is configured (or the function has not answered yet). */
  readonly apiKey = (): string | undefined => this.#apiKey;

  readyApiKey(): Promise<string | undefined> {
    return this.#keySource && this.#apiKey === undefined
      ? this.#keySource.ready()
      : Promise.resolve(this.#apiKey);
  }

  tls(): TLSConfig | boolean | undefined {
    return this.#tls;
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Starts calling the `apiKey` function and reading the TLS files; nothing without them. */
  start(): void {
    this.#keySource?.start();
    this.#tlsWatcher?.start();
  }

  /** Stops both for good (the supervisor stops). */
  stop(): void {
    this.#keySource?.stop();
    this.#tlsWatcher?.stop();
  }

  secrets(): readonly string[] {
    return this.#secrets;
  }

  /**
   * `setApiKey`: the key in use until the next rotation (or the `apiKey` function's next different answer).
   * @throws {SupervisorOptionsError} when no API key was configured: the connections send none to rotate.
   */
  async rotate(apiKey: string): Promise<void> {
    if (!this.hasApiKey) {
      throw new SupervisorOptionsError(
        'apiKey',
        'setApiKey: this supervisor was created without an `apiKey`, so its connections send none to rotate. Create it with `apiKey` (or TEMPORAL_API_KEY).',
      );
    }
    await this.use(apiKey);
  }

  private addSecrets(secrets: readonly string[]): void {
    this.#secrets = [...this.#secrets, ...secrets];
    this.#redactor = createRedactor(this.#secrets);
  }

  /** A new key: redacted first, then in use, then handed to every listener (their faults reported). */
  private use(apiKey: string): Promise<void> {
    this.addSecrets([apiKey]);
    this.#apiKey = apiKey;
    return this.notify({ kind: 'apiKey', apiKey });
  }

  private async useTls(tls: TLSConfig, material: TlsMaterial): Promise<void> {
    this.addSecrets(secretsOf(undefined, tls, {}));
    this.#tls = tls;
    await this.notify({ kind: 'tls', tls });
    // After every connection was renewed (or its renewal failed, logged on its own).
    const certificate = new X509Certificate(material.crt);
    this.log.log('info', 'TLS certificate reloaded', {
      fingerprint256: certificate.fingerprint256,
      validTo: certificate.validTo,
    });
  }

  private async notify(change: CredentialChange): Promise<void> {
    await Promise.all(
      [...this.#listeners].map(async (listener) => {
        try {
          await listener(change);
        } catch (error) {
          // Ours (a native connection refusing the key, a new connection failing): logged, never thrown on.
          this.log.log('error', change.kind === 'apiKey' ? 'API key rotation failed' : 'TLS reload failed', {
            error: this.redact(describeThrown(error)),
          });
        }
      }),
    );
  }

  toJSON(): { credentials: 'redacted' } {
    return { credentials: 'redacted' };
  }
}
