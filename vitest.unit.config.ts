import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// Node (and every dependency) loads graphql's CommonJS build; Vite would give
// our sources the .mjs build, and two copies of graphql refuse to mix.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');

/** Pure unit tests beside the code: no database, no global cluster. `npm run test:unit`. */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    include: ['src/**/*.test.ts'],
  },
});
