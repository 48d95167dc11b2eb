import { defineConfig } from 'tsup';

// ESM (.js + .d.ts) and CJS (.cjs + .d.cts) builds of every entry. Splitting is on for both formats,
// so `index` and `proxy` of one format share one chunk (and one singleton); the ESM and CJS copies
// share theirs through a global registry (src/singleton.ts). The @sipts layers stay external: they
// are ESM, which `require()` loads on Node ≥ 20.19.
export default defineConfig({
  entry: { index: 'src/index.ts', digest: 'src/digest.ts', proxy: 'src/proxy.ts', sdp: 'src/sdp.ts', dialog: 'src/dialog.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  target: 'es2022',
  treeshake: true,
  external: ['@sipts/message', '@sipts/transport', '@sipts/transaction', '@sipts/digest', '@sipts/proxy', '@sipts/dialog'],
});
