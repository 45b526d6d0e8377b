import { defineConfig } from 'vitest/config';

// The slow suites: scale, leaks, real processes and threads, packing, browsers, Prometheus.
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    // Real-process tests start child Node processes; give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The leak tests measure the heap after a forced collection.
    execArgv: ['--expose-gc'],
    // Timing-sensitive suites (scale ratios, heap) measure better one file at a time.
    fileParallelism: false,
  },
});
