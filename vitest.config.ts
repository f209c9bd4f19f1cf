import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Node (and every dependency) loads graphql's CommonJS build; Vite would give
// our sources the .mjs build, and two copies of graphql refuse to mix.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One shared 3 x (primary + replica) cluster for the tests that only need data;
    // tests that stop nodes boot their own (test/support/test-cluster.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    // 2 cores: a few files at a time, each with its own PostgreSQL load.
    maxWorkers: 3,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
