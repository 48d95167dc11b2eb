/**
 * Browser bundle size of @sipts/message: the whole public API (`export * from '@sipts/message'`,
 * resolved to the built dist/index.js) bundled by esbuild (minify, esm, platform browser), then
 * gzip level 9 with node:zlib. Prints one JSON line.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);

async function main() {
  const result = await esbuild.build({
    stdin: { contents: "export * from '@sipts/message';", resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.keys(result.metafile.inputs);
  process.stdout.write(
    JSON.stringify({
      ok: true,
      esbuild: require('esbuild/package.json').version,
      entry: inputs.find((f) => f.includes('message')) ?? inputs[0],
      minBytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    }) + '\n',
  );
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e?.message ?? e) }) + '\n');
  process.exitCode = 1;
});
