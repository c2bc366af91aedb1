import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // test-results.json feeds the `N passed, N failed` line of .ci/run
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
