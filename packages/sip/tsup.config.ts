import { siptsTsupConfig } from '../../tools/config/tsup.js';

// ESM (.js + .d.ts) and CJS (.cjs + .d.cts) builds of every entry. Splitting is on for both formats,
// so `index` and `proxy` of one format share one chunk (and one singleton); the ESM and CJS copies
// share theirs through a global registry (src/singleton.ts). The @sipts layers stay external: they
// are ESM, which `require()` loads on Node ≥ 20.19.
export default siptsTsupConfig({
  entry: { index: 'src/index.ts', digest: 'src/digest.ts', proxy: 'src/proxy.ts', sdp: 'src/sdp.ts', dialog: 'src/dialog.ts' },
  format: ['esm', 'cjs'],
  splitting: true,
  // Rollup builds the CJS chunks: tsup's own CJS splitting (sucrase) rewrites every ?. and ?? into
  // helper calls that allocate an array and closures per use, on the facade's per-message path.
  treeshake: true,
});
