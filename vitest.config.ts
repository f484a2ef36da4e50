import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'examples/vitest.config.ts', 'examples/plugins/*/vitest.config.ts'],
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.test-output/vitest.json' }]] : ['default'],
  },
});
