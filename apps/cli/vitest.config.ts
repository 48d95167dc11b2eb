import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@sipts/source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['@sipts/source', 'module', 'node', 'development|production'] } },
  test: { include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 30_000 },
});
