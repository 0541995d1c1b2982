import { defineConfig } from 'vitest/config';

/**
 * Node tests in two projects: `unit` (fast: core, engine logic, store, surfaces; `npm run test:unit`) and
 * `parity` (`*.parity.test.ts`: real models run end to end against diffusers' references, tens of
 * seconds each; `npm run test:parity`). `npm test` runs both.
 */
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: ['src/**/*.parity.test.ts'] } },
      { extends: true, test: { name: 'parity', include: ['src/**/*.parity.test.ts'] } },
    ],
  },
});
