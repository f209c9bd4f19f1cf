import { defineConfig } from 'vitest/config';

/** Pure unit tests beside the code: no database, no global cluster. `npm run test:unit`. */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
  },
});
