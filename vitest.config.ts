import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Load sibling packages from their TypeScript sources in tests (see each package.json "exports").
    conditions: ['sluice:source'],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: e2e tests spawn nginx/ffmpeg, keep file parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
