import { defineConfig } from 'vitest/config';

// The fast suite a contributor runs on every save (`npm test`). Slow suites — scale, leaks,
// real processes and threads, packing, browsers, Prometheus — live under test/slow/ and run
// with `npm run test:slow` (vitest.slow.config.ts); CI runs both.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/slow/**', '**/node_modules/**'],
    testTimeout: 20_000,
  },
});
