export * from '../../src/testing/postgres.js';
