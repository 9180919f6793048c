/**
 * Secrets for the leak tests, and the check that none of them appears in a text. The TLS key is the test-only
 * key of test/fixtures/tls; its body lines are checked one by one, as a log could quote one line of it.
 */
import { readFileSync } from 'node:fs';

export const API_KEY = 'sk-test-APIKEY-4f1c9e2a7b3d5f60';
export const BEARER_TOKEN = 'AUTHZ-TOKEN-9f8e7d6c5b4a3921';
export const AUTHORIZATION = `Bearer ${BEARER_TOKEN}`;
export const TLS_CERT = readFileSync(new URL('../fixtures/tls/test-only-cert.pem', import.meta.url));
export const TLS_KEY = readFileSync(new URL('../fixtures/tls/test-only-key.pem', import.meta.url));
const KEY_LINES = TLS_KEY.toString('utf8')
  .split(/\r?\n/)
  .filter((line) => line.length >= 16 && !line.startsWith('-----'));

/** Every secret substring that must never appear: the API key, the bearer token, each line of the key. */
export const SECRET_STRINGS: readonly string[] = [API_KEY, BEARER_TOKEN, ...KEY_LINES];

/** The secrets found in `text` (empty when none leaked), shortened for the failure message. */
export function leakedSecrets(text: string): string[] {
  return SECRET_STRINGS.filter((secret) => text.includes(secret)).map((s) => `${s.slice(0, 12)}…`);
}
