// `npm run sim:soak`: the long simulator run (test/sim/soak.sim.ts), kept out of the CI suite.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/sim/soak.sim.ts'],
    testTimeout: 86_400_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
