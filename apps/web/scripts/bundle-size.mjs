#!/usr/bin/env node
/**
 * The inspector's production bundle, after `vite build`:
 * 1. its size: every JS and CSS file dist/index.html loads (and the JS chunks those import),
 *    raw, gzip and brotli;
 * 2. its module graph: the inspector entry is bundled again in memory (same vite.config.ts, only
 *    the index.html input) and every module in its chunks must be the inspector's own source,
 *    @sipts/message's, or Vite's tiny runtime helpers. Anything else fails the script (exit 1).
 *
 * Usage: pnpm run size  (vite build && node scripts/bundle-size.mjs) · add --json for a machine-readable report,
 * --dist DIR to read another build folder than dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'vite';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// `--dist DIR`: another build folder than dist/ (the tests build into one of their own).
const distArg = process.argv.indexOf('--dist');
const dist = distArg > 0 && process.argv[distArg + 1] !== undefined ? resolve(process.argv[distArg + 1]) : resolve(appDir, 'dist');
const json = process.argv.includes('--json');

/** The files the built page loads: its script, stylesheet and modulepreload links, then static JS imports. */
function pageFiles() {
  const indexHtml = resolve(dist, 'index.html');
  if (!existsSync(indexHtml)) throw new Error(`${indexHtml} is missing: run \`vite build\` first`);
  const html = readFileSync(indexHtml, 'utf8');
  const queue = [...html.matchAll(/<(?:script|link)\b[^>]*?\s(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const seen = new Set();
  while (queue.length > 0) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(resolve(dist, file), 'utf8');
    // Static imports only (`import … from "./x.js"`, `import "./x.js"`); a dynamic import( is not loaded up front.
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.js)["']/g)) queue.push(`${dirname(file)}/${m[1]}`);
  }
  return [...seen];
}

function sizes(files) {
  const rows = files.map((file) => {
    const bytes = readFileSync(resolve(dist, file));
    return {
      file,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  });
  const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  return { rows, total };
}

/** Where a module of the bundle comes from. */
function origin(id) {
  const file = id.replace(/\?.*$/, '');
  if (file.startsWith('\0') || file.startsWith('vite/') || /[/\\]node_modules[/\\]vite[/\\]/.test(file)) return 'vite runtime';
  const rel = relative(resolve(appDir, '../..'), file).split(sep).join('/');
  if (rel.startsWith('apps/web/src/inspector/') || rel === 'apps/web/index.html') return 'inspector';
  if (rel.startsWith('packages/message/src/')) return '@sipts/message';
  return `OTHER: ${rel}`;
}

async function moduleGraph() {
  const out = await build({
    root: appDir,
    configFile: resolve(appDir, 'vite.config.ts'),
    logLevel: 'silent',
    build: { write: false, emptyOutDir: false },
    plugins: [
      {
        name: 'inspector-entry-only',
        config(config) {
          config.build.rollupOptions.input = { inspector: resolve(appDir, 'index.html') };
        },
      },
    ],
  });
  const outputs = Array.isArray(out) ? out : [out];
  const modules = new Map();
  for (const o of outputs) for (const item of o.output) if (item.type === 'chunk') for (const id of item.moduleIds) modules.set(id, origin(id));
  const byOrigin = {};
  for (const o of modules.values()) byOrigin[o] = (byOrigin[o] ?? 0) + 1;
  const modulesList = [...modules].map(([id, o]) => ({ id: relative(appDir, id.replace(/^\0/, '')), origin: o }));
  return { byOrigin, modules: modulesList, foreign: modulesList.filter((m) => m.origin.startsWith('OTHER')) };
}

const size = sizes(pageFiles());
const graph = await moduleGraph();
if (json) {
  process.stdout.write(JSON.stringify({ size, graph }, null, 2) + '\n');
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log('Inspector page (dist/index.html) loads:');
  for (const r of size.rows) console.log(`  ${r.file.padEnd(40)} ${String(r.raw).padStart(7)} B raw  ${String(r.gzip).padStart(6)} B gzip  ${String(r.brotli).padStart(6)} B brotli`);
  console.log(`  ${'total'.padEnd(40)} ${String(size.total.raw).padStart(7)} B raw  ${String(size.total.gzip).padStart(6)} B gzip  ${String(size.total.brotli).padStart(6)} B brotli  (${kb(size.total.raw)} / ${kb(size.total.gzip)} gzip)`);
  console.log('Modules in the inspector bundle, by origin:');
  for (const [o, n] of Object.entries(graph.byOrigin)) console.log(`  ${o}: ${n}`);
}
if (graph.foreign.length > 0) {
  console.error(`bundle-size: the inspector bundles modules from outside the inspector and @sipts/message:\n${graph.foreign.map((m) => `  ${m.id}`).join('\n')}`);
  process.exit(1);
}
