// `npm run fuzz`: the long fuzz run (test/fuzz/soak.fuzz.ts), kept out of the CI suite.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/fuzz/soak.fuzz.ts'],
    testTimeout: 86_400_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
