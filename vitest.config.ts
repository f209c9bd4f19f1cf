import { defineConfig } from 'vitest/config';

export default defineConfig({
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
    reporters: ['default'],
  },
});
