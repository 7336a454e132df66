import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The NATS suites need Debian's nats-server and the browser suite Debian's chromium: each is
    // installed here when missing (and we are root).
    globalSetup: ['scripts/ensure-nats-server.mjs', 'scripts/ensure-chromium.mjs'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
