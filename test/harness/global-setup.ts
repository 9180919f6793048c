/**
 * Vitest global setup of the `integration` project: resolves (or builds) the `temporal` CLI once, before any
 * test file runs. A missing CLI fails the whole suite here, loudly; integration tests never skip.
 *
 * The path is exported as `TEMPORAL_CLI`, so the test workers (forked afterwards with this environment) use
 * this very binary without searching again.
 */
import { resolveTemporalCli } from './temporal-cli.js';

export default async function setup(): Promise<void> {
  const path = await resolveTemporalCli({ log: (line) => process.stderr.write(`[temporal-cli] ${line}\n`) });
  process.env.TEMPORAL_CLI = path;
}
