/**
 * The tsup settings every published package extends: ESM, declarations, source maps, ES2022, and
 * every `@sipts/*` sibling external (each is its own published package), and a build stamp.
 */
import type { Options } from 'tsup';
import { writeBuildStamp } from './build-stamp.mjs';

/** What a package says about its build; the rest is the house default. */
export interface SiptsTsupOptions {
  /** Entry points: output name -> source file (e.g. `{ index: 'src/index.ts', 'node/index': 'src/node/index.ts' }`). */
  readonly entry: Readonly<Record<string, string>>;
  /** Third-party dependencies to leave external, beside the `@sipts/*` packages. */
  readonly external?: readonly (string | RegExp)[];
  /** Output formats (default ESM only; the classic facade adds CJS). */
  readonly format?: readonly ('esm' | 'cjs')[];
  /** Share chunks between entries (default: tsup's, on for ESM). */
  readonly splitting?: boolean;
  /** Tree-shake with rollup (which also builds split CJS chunks without tsup's sucrase pass). Default off. */
  readonly treeshake?: boolean;
}

/** Every sibling package: never bundled into another one. */
const siblings = /^@sipts\//;

/**
 * The house tsup config.
 * @example
 * export default siptsTsupConfig({ entry: { index: 'src/index.ts' }, external: ['ws'] });
 */
export function siptsTsupConfig(options: SiptsTsupOptions): Options {
  return {
    entry: { ...options.entry },
    format: [...(options.format ?? ['esm'])],
    dts: true,
    clean: true,
    sourcemap: true,
    ...(options.splitting === undefined ? {} : { splitting: options.splitting }),
    ...(options.treeshake === undefined ? {} : { treeshake: options.treeshake }),
    target: 'es2022',
    external: [siblings, ...(options.external ?? [])],
    // dist/build-source.json: what this dist was built from (build-stamp.mjs), so the tools that
    // load a dist check it against the sources by content, not by file times.
    onSuccess: () => {
      writeBuildStamp(process.cwd());
      return Promise.resolve();
    },
  };
}
