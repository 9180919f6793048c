// Runnable as a script from here too: prints the directory of the cached Temporal server build.
import { runIfMain } from '../../src/testing/temporal-cli.js';
import { resolveTemporalServer } from '../../src/testing/temporal-server.js';

export * from '../../src/testing/temporal-server.js';

runIfMain(import.meta.url, () =>
  resolveTemporalServer({ log: (line) => process.stderr.write(`${line}\n`) }).then((found) => found.dir),
);
