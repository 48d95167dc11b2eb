/**
 * The documented differences from the classic package: one list (differences.json) that the
 * compatibility test checks against and the README shows (rendered by {@link renderDifferences}).
 */
import { readFileSync } from 'node:fs';

/** One documented difference. */
export interface Difference {
  id: string;
  /** `model` and `sdp` differences are checked by the compatibility test; the others by the stack tests. */
  area: 'model' | 'sdp' | 'stack' | 'proxy' | 'digest';
  classic: string;
  sipts: string;
  reason: string;
  /**
   * The classic package's own tests (its `sip@0.0.6` tarball suite) this difference makes fail,
   * each with the torture messages concerned; checked by test/classic-suite.test.ts.
   */
  classicTests?: Record<string, string[]>;
}

/** The list, from differences.json. */
export const DIFFERENCES: readonly Difference[] = JSON.parse(readFileSync(new URL('../differences.json', import.meta.url), 'utf8')) as Difference[];

export const README_START = '<!-- differences:start (generated from differences.json by test/compat.test.ts; UPDATE_README=1 rewrites it) -->';
export const README_END = '<!-- differences:end -->';

const AREA_TITLE: Record<Difference['area'], string> = {
  model: 'Messages, URIs and helpers',
  sdp: '`@sipts/sip/sdp`',
  stack: 'The stack (`start`, `create`, `send`)',
  proxy: '`@sipts/sip/proxy`',
  digest: '`@sipts/sip/digest`',
};

/** The classic suite's tests a difference makes fail, for the README: `parser` torture (wsinv), … */
function failingTests(d: Difference): string {
  const tests = Object.entries(d.classicTests ?? {});
  if (tests.length === 0) return '—';
  return tests.map(([test, messages]) => `\`${test}\` (${messages.join(', ')})`).join('; ');
}

/** The README section: one table per area, in the order of the list. */
export function renderDifferences(list: readonly Difference[] = DIFFERENCES): string {
  const out: string[] = [README_START];
  const areas = [...new Set(list.map((d) => d.area))];
  for (const area of areas) {
    out.push('', `### ${AREA_TITLE[area]}`, '', '| | classic `sip` | `@sipts/sip` | why | classic test it fails |', '| --- | --- | --- | --- | --- |');
    for (const d of list.filter((x) => x.area === area)) out.push(`| \`${d.id}\` | ${d.classic} | ${d.sipts} | ${d.reason} | ${failingTests(d)} |`);
  }
  out.push('', README_END);
  return out.join('\n');
}
