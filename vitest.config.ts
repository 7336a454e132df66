import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The NATS suites need Debian's nats-server: installed here when missing (and we are root).
    globalSetup: ['scripts/ensure-nats-server.mjs'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
