import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real-model tests on the CPU backend: generous timeouts, and files run one after another so two model
    // runs do not fight over the 2 CPU cores of CI.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    setupFiles: ['tests/setup.ts'],
  },
});
