// Moved to src/testing (public as `temporal-supervisor/testing`); still runnable as a script from here.
import { runIfMain } from '../../src/testing/temporal-cli.js';

export * from '../../src/testing/temporal-cli.js';

runIfMain(import.meta.url);
