import { defineConfig } from 'vitest/config';

const conditions = ['@sipts/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Socket tests bind loopback ports: files run one at a time so they do not compete on 2 cores.
    fileParallelism: false,
  },
});
