import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One PostgreSQL server for the whole run (or TEST_DATABASE_URL's); each test file makes its own databases.
    globalSetup: ['test/support/postgres.ts'],
    // Vitest's default is one worker fewer than the cores: one on a 2-core box. The tests mostly wait
    // on sockets and child processes, so two workers take about 70 s where one takes 105-120 s.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
