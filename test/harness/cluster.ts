export * from '../../src/testing/cluster.js';
