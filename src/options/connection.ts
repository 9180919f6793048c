import { loadClientConnectConfig } from '@temporalio/envconfig';
import { SupervisorOptionsError } from '../errors.js';
import { fail, isPlainObject, objectOption } from './check.js';
import { DEFAULTS } from './defaults.js';
import type { EnvConfigOptions, SupervisorOptions, TlsOption } from './types.js';

/** The connection settings every connection (the client's, each worker's native one) is made with. */
export interface ConnectionSettings {
  readonly address: string;
  readonly namespace: string;
  readonly apiKey: string | undefined;
  readonly tls: TlsOption | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  /** Every secret in the settings, for redaction. */
  readonly secrets: readonly string[];
}

const ENV_CONFIG_KEYS = ['profile', 'configFile', 'env'] satisfies readonly (keyof EnvConfigOptions)[];
const SECRET_METADATA_KEY = /authorization|token|secret|password|api[-_]?key|cookie/i;

function validAddress(field: string, address: unknown): string {
  if (typeof address !== 'string' || !/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.test(address)) {
    fail(
      field,
      field === 'envConfig'
        ? "an address of the form 'host:port' in TEMPORAL_ADDRESS or the config profile"
        : "an address of the form 'host:port'",
      address,
      "Pass e.g. `address: 'localhost:7233'` or set TEMPORAL_ADDRESS.",
    );
  }
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (port < 1 || port > 65_535) {
    fail(field, 'a port from 1 to 65535', address, "Pass e.g. `address: 'localhost:7233'`.");
  }
  return address;
}

interface FromEnv {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: TlsOption;
  metadata?: Record<string, string>;
}

function loadEnvConfig(option: SupervisorOptions['envConfig']): FromEnv {
  if (option === false) return {};
  const settings =
    option === true || option === undefined ? {} : objectOption('envConfig', option, ENV_CONFIG_KEYS);
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({
      ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
      ...(settings.configFile !== undefined ? { configSource: { path: settings.configFile } } : {}),
      ...(settings.env !== undefined ? { overrideEnvVars: settings.env } : {}),
    });
  } catch (error) {
    throw new SupervisorOptionsError(
      'envConfig',
      // Only the first line: parsers quote the offending lines of the file, which may hold an API key.
      `Could not load Temporal's environment configuration (TEMPORAL_* variables, the TOML profile): ${
        (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]
      }. Fix the variable or file it names, or pass \`envConfig: false\` and give the options directly.`,
    );
  }
  const c = loaded.connectionOptions;
  const out: FromEnv = {};
  if (c.address) out.address = c.address;
  if (loaded.namespace) out.namespace = loaded.namespace;
  if (c.apiKey && typeof c.apiKey === 'string') out.apiKey = c.apiKey;
  if (c.tls !== undefined && c.tls !== false) out.tls = c.tls as TlsOption;
  if (c.metadata) out.metadata = { ...(c.metadata as Record<string, string>) };
  return out;
}

function secretsOf(apiKey: string | undefined, tls: TlsOption | undefined, metadata: Record<string, string>) {
  const secrets: string[] = [];
  if (apiKey) secrets.push(apiKey);
  if (tls && typeof tls === 'object' && tls.clientCertPair?.key) {
    const pem = Buffer.from(tls.clientCertPair.key).toString('utf8');
    secrets.push(pem);
    // Each line of the key body too, in case a line is quoted on its own.
    for (const line of pem.split(/\r?\n/))
      if (line.length >= 16 && !line.startsWith('-----')) secrets.push(line);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (SECRET_METADATA_KEY.test(key) && value) {
      secrets.push(value);
      const bearer = value.replace(/^bearer\s+/i, '');
      if (bearer !== value) secrets.push(bearer);
    }
  }
  return secrets;
}

/** Address, namespace and credentials: explicit options first, then envconfig, then the defaults. */
export function resolveConnectionSettings(options: SupervisorOptions): ConnectionSettings {
  const fromEnv = loadEnvConfig(options.envConfig);
  const address = validAddress(
    options.address !== undefined ? 'address' : fromEnv.address !== undefined ? 'envConfig' : 'address',
    options.address ?? fromEnv.address ?? DEFAULTS.address,
  );
  const namespace = options.namespace ?? fromEnv.namespace ?? DEFAULTS.namespace;
  if (typeof namespace !== 'string' || namespace.length === 0) {
    fail('namespace', 'a non-empty string', namespace, "Pass e.g. `namespace: 'default'`.");
  }
  const apiKey = options.apiKey ?? fromEnv.apiKey;
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length < 4)) {
    fail(
      'apiKey',
      'a string of at least 4 characters',
      '[hidden]',
      'Pass the API key as a string, or leave it out.',
    );
  }
  const tls = options.tls ?? fromEnv.tls;
  if (tls !== undefined && typeof tls !== 'boolean' && (typeof tls !== 'object' || tls === null)) {
    fail('tls', 'true, false or a TLS config object', tls, 'Pass `tls: true` for system roots.');
  }
  if (options.metadata !== undefined && !isPlainObject(options.metadata)) {
    fail(
      'metadata',
      'an object of string values',
      options.metadata,
      "Pass e.g. `metadata: { 'x-team': 'payments' }`.",
    );
  }
  const metadata = { ...(fromEnv.metadata ?? {}), ...(options.metadata ?? {}) };
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string')
      fail(`metadata.${key}`, 'a string', value, 'gRPC metadata values are strings.');
  }
  return { address, namespace, apiKey, tls, metadata, secrets: secretsOf(apiKey, tls, metadata) };
}
