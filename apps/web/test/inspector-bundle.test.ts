/**
 * The inspector imports only @sipts/message: checked on its sources and on the production bundle's
 * module graph (scripts/bundle-size.mjs, run after `vite build`), whose size report is checked
 * for shape here (the figures themselves go in the README, never into an assertion).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runTool } from '@sipts/test-peers';
import { describe, expect, inject, it } from 'vitest';
import { appDir } from './inspector-page.js';

interface Report {
  size: { rows: { file: string; raw: number; gzip: number; brotli: number }[]; total: { raw: number; gzip: number; brotli: number } };
  graph: { byOrigin: Record<string, number>; modules: { id: string; origin: string }[]; foreign: unknown[] };
}

describe('the inspector bundle', () => {
  it('has sources (the capture reader and its worker included) that import only @sipts/message and each other', () => {
    const dir = resolve(appDir, 'src/inspector');
    const specifiers = new Set<string>();
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('capture-worker.ts');
    expect(files).toContain('pcap/extract.ts');
    for (const file of files) {
      const code = readFileSync(resolve(dir, file), 'utf8');
      // `import … from 'x'`, `export … from 'x'` (possibly over several lines) and `import 'x'`.
      for (const m of code.matchAll(/^(?:import|export)\s[^'";=]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]/gm)) specifiers.add((m[1] ?? m[2])!);
    }
    expect(specifiers.size).toBeGreaterThan(3);
    expect([...specifiers].filter((s) => s !== '@sipts/message' && !s.startsWith('./') && !s.startsWith('../'))).toEqual([]);
    // `../` only from pcap/ back into the inspector's own folder.
    expect([...specifiers].filter((s) => s.startsWith('../') && !/^\.\.\/[a-z-]+\.js$/.test(s))).toEqual([]);
  });

  it('bundles modules of the inspector and @sipts/message only, and reports its size', async () => {
    const r = await runTool(process.execPath, [resolve(appDir, 'scripts/bundle-size.mjs'), '--json', '--dist', inject('webDist')], { cwd: appDir, timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.graph.foreign).toEqual([]);
    expect(new Set(report.graph.modules.map((m) => m.origin))).toEqual(new Set(['inspector', '@sipts/message', 'vite runtime']));
    expect(report.graph.modules.filter((m) => m.origin === 'vite runtime').map((m) => m.id)).toEqual(['vite/modulepreload-polyfill.js']);
    expect(report.graph.modules.some((m) => m.id.endsWith('packages/message/src/parse-message.ts'))).toBe(true);
    // No module of the client page or of the other packages.
    expect(report.graph.modules.filter((m) => /src\/client\/|packages\/(?:transport|transaction|digest)\//.test(m.id))).toEqual([]);
    // The page loads at least its script and its stylesheet; compressed sizes are smaller.
    expect(report.size.rows.some((f) => f.file.endsWith('.js'))).toBe(true);
    expect(report.size.rows.some((f) => f.file.endsWith('.css'))).toBe(true);
    expect(report.size.total.raw).toBe(report.size.rows.reduce((n, f) => n + f.raw, 0));
    expect(report.size.total.gzip).toBeLessThan(report.size.total.raw);
  });
});
