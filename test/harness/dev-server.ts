export * from '../../src/testing/dev-server.js';
