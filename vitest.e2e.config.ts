import { defineConfig } from 'vitest/config';

/** Browser tests: real Chromium via playwright-core, run one file at a time (2 cores, slow SwiftShader). */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
