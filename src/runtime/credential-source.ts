import type { TLSConfig } from '@temporalio/client';

/** A credential that changed: a new API key, or a new client certificate pair (read from its files). */
export type CredentialChange =
  | { readonly kind: 'apiKey'; readonly apiKey: string }
  | { readonly kind: 'tls'; readonly tls: TLSConfig };

/**
 * The credentials of the moment, as the connections read them: the connector (client connections) and every
 * worker (native connections) read the key and the TLS config when they connect, and follow changes. Nothing
 * here serializes a secret: implementations keep them #private.
 */
export interface CredentialSource {
  /** Removes every secret known so far (old keys and keys included) from a text. */
  readonly redact: (text: string) => string;
  /** Whether an API key is configured (a string or a function): connections then send one. */
  readonly hasApiKey: boolean;
  /** The API key to send now (the last good one); undefined when none. Never throws. */
  apiKey(): string | undefined;
  /**
   * The key for a connection about to be made: at once when one is known, else the first answer of the `apiKey`
   * function. Undefined when none could be had; never rejects.
   */
  readyApiKey(): Promise<string | undefined>;
  /** The TLS setting to connect with now. */
  tls(): TLSConfig | boolean | undefined;
  /** Calls `listener` at each change until the returned function is called. */
  onChange(listener: (change: CredentialChange) => void | Promise<void>): () => void;
}

/** Credentials that never change (the CLI's one-shot checks, custom set-ups). */
export function fixedCredentials(
  settings: { readonly apiKey: string | undefined; readonly tls: TLSConfig | boolean | undefined },
  redact: (text: string) => string,
): CredentialSource {
  const { apiKey, tls } = settings;
  return {
    redact,
    hasApiKey: apiKey !== undefined,
    apiKey: () => apiKey,
    readyApiKey: async () => apiKey,
    tls: () => tls,
    onChange: () => () => {},
  };
}
