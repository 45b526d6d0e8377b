import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-process tests start a child Node process through tsx; give them room on 2 cores.
    testTimeout: 20_000,
    // The leak tests measure the heap after a forced collection.
    execArgv: ['--expose-gc'],
  },
});
