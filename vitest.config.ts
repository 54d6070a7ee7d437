import { defineConfig } from 'vitest/config';

// Two projects: unit tests need nothing; integration tests get a real broker and a real database from
// test/setup/global-stack.ts (environment → testcontainers → native stack).
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'lib/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-stack.ts'],
          pool: 'forks',
          // Two cores and a JVM broker: two files at a time is the useful parallelism.
          maxWorkers: 2,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
