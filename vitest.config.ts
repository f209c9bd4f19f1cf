import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Node (and every dependency) loads graphql's CommonJS build; Vite would give
// our sources the .mjs build, and two copies of graphql refuse to mix.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

/** Whole programs, a browser, Docker files and scripts, Prometheus and promtool: each boots what it needs itself. */
const END_TO_END = [
  'test/docker.test.ts',
  'test/graphiql-browser.test.ts',
  'test/bench-quick.test.ts',
  'test/checkout-permissions.test.ts',
  'test/monitoring-files.test.ts',
  'test/prometheus-live.test.ts',
];

/**
 * Four projects, each runnable alone (`npm run test:unit`, `test:format`,
 * `test:integration`, `test:e2e`); `npm test` runs them all.
 */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
    // 2 cores: a few files at a time, each with its own PostgreSQL load.
    maxWorkers: 3,
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        // Pure logic beside the code: no database, no cluster, about a second.
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'testkit/**/*.test.ts', 'test/layers.test.ts', 'test/doc-links.test.ts'],
        },
      },
      {
        extends: true,
        // Prettier over the whole tree: seconds of CPU, so not in the unit project's second.
        test: { name: 'format', include: ['test/format.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...END_TO_END, 'test/layers.test.ts', 'test/format.test.ts', 'test/doc-links.test.ts'],
          // One shared 3 x (primary + replica) cluster for the tests that only need data;
          // tests that stop nodes boot their own (testkit/throwaway-cluster.ts).
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        extends: true,
        // The browser and live-Prometheus tests take a database on the same kind of shared cluster,
        // booted and destroyed (awaited) by the run, not by each test file's worker on its way out.
        test: { name: 'e2e', include: END_TO_END, globalSetup: ['test/global-setup.ts'] },
      },
    ],
  },
});
