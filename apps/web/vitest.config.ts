import { defineConfig } from 'vitest/config';

const conditions = ['@sipts/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end files start Chromium and servers on loopback ports: one file at a time on 2 cores.
    fileParallelism: false,
  },
});
