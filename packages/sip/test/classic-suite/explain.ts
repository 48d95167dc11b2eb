/**
 * Explains the failed assertions of the classic suite's parser tests by the facade's documented
 * differences (differences.json). The torture and TCP tests compare `sip.parse` (and the transport)
 * with JSON the classic package wrote of its own results, so they record its RFC violations and its
 * model. Each rule names one difference and matches only the case it explains: the message, the
 * path in the model, and the two values (the classic value must turn into ours by exactly that
 * difference). Anything no rule explains is reported, so a new difference fails the test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Failure } from './suite.js';

/** One failed assertion (or one differing path of it) and the difference that explains it. */
export interface Explanation {
  /** The classic test, e.g. `parser/torture`. */
  test: string;
  /** The torture message it is about (`wsinv`, `esc02`…). */
  message: string;
  path: string;
  /** The id in differences.json, or undefined when no rule explains it. */
  difference: string | undefined;
  detail: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UNDEFINED = '<undefined>';

function fromLatin1ToUtf8(s: string): string | undefined {
  if (!/[\x80-\xff]/.test(s)) return undefined;
  try {
    return utf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return undefined;
  }
}

/** The bytes of a `Uint8Array` as JSON wrote it (`{"0": 45, "1": 45, …}`), or undefined. */
function jsonBytes(v: unknown): Buffer | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const values = Object.values(v as Record<string, unknown>);
  if (values.length === 0 || !values.every((x) => typeof x === 'number' && x >= 0 && x <= 255)) return undefined;
  return Buffer.from(values as number[]);
}

/** `%XX` escapes decoded, as the classic parser did to method and header names. */
const percentDecoded = (s: string): string => s.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

interface Case {
  test: string;
  message: string;
  path: string;
  /** The facade's value (undefined when absent). */
  ours: unknown;
  /** What the classic package recorded. */
  classic: unknown;
}

/** Rules: one documented difference each, matching only its case. */
const RULES: { id: string; matches: (c: Case) => boolean }[] = [
  // RFC 3261 §7.3.1: a fold is one space; the classic kept the CRLF and the indentation.
  { id: 'unfold', matches: (c) => typeof c.ours === 'string' && typeof c.classic === 'string' && /\r\n[ \t]/.test(c.classic) && c.classic.replace(/[ \t]*\r\n[ \t]+/g, ' ') === c.ours },
  // NaN (JSON null) for a URI without a port; ours is absent.
  { id: 'uri-port', matches: (c) => /(^|\.)uri\.port$/.test(c.path) && c.classic === null && c.ours === undefined },
  // RFC 4475 esc02: `RE%47IST%45R` and `c%6fntact` are names as written.
  {
    id: 'escaped-names',
    matches: (c) => c.message === 'esc02' && (/^(method|headers\.cseq\.method)$/.test(c.path) ? typeof c.ours === 'string' && percentDecoded(c.ours) === c.classic : /^headers\.(contact(\.\d+(\..*)?)?|[^.]*%[0-9a-f]{2}[^.]*)$/i.test(c.path)),
  },
  // RFC 4475 dblreq: the body is Content-Length (0) bytes; the classic took the second request as body.
  { id: 'content-length-honoured', matches: (c) => c.message === 'dblreq' && c.path === 'content' && c.ours === '' && typeof c.classic === 'string' && c.classic.startsWith('\r\nINVITE ') },
  // A body that is not UTF-8 is bytes; the classic made it a binary string.
  { id: 'binary-body', matches: (c) => c.path === 'content' && typeof c.classic === 'string' && jsonBytes(c.ours)?.equals(Buffer.from(c.classic, 'latin1')) === true },
  // UTF-8 text decoded as UTF-8; the classic kept one character per byte.
  { id: 'utf8-text', matches: (c) => typeof c.ours === 'string' && typeof c.classic === 'string' && fromLatin1ToUtf8(c.classic) === c.ours },
  // 2_1_2.js compares the message it sent with what arrived: the classic stringify had written
  // Content-Length into the message it was given, ours leaves it alone.
  { id: 'stringify-pure', matches: (c) => c.test === 'scripts' && c.message === '2_1_2.js' && c.path === 'headers.content-length' && c.ours === undefined && c.classic === 0 },
  // RFC 3581 §4 over TCP too: an empty rport gets the source port.
  { id: 'rport-tcp', matches: (c) => c.test === 'parser/tcp' && c.path === 'headers.via.0.params.rport' && c.classic === null && typeof c.ours === 'number' },
];

function diffPaths(a: unknown, b: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (a === b) return out;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
    out.push(path);
    return out;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const present = (r: Record<string, unknown>, k: string): boolean => r[k] !== undefined && r[k] !== UNDEFINED;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)].filter((k) => present(ra, k) || present(rb, k)));
  for (const k of keys) diffPaths(ra[k] === UNDEFINED ? undefined : ra[k], rb[k] === UNDEFINED ? undefined : rb[k], [...path, k], out);
  return out;
}

function at(t: unknown, p: string[]): unknown {
  const v = p.reduce<unknown>((x, k) => (x === null || typeof x !== 'object' ? undefined : (x as Record<string, unknown>)[k]), t);
  return v === UNDEFINED ? undefined : v;
}

const show = (v: unknown): string => (JSON.stringify(v) ?? 'undefined').slice(0, 160);

/** The classic package's JSON of each torture message of its suite, by Call-ID: name. */
export function messagesByCallId(suiteDir: string): Map<string, string> {
  const dir = join(suiteDir, 'test', 'messages');
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const m = JSON.parse(readFileSync(join(dir, f), 'latin1')) as { headers?: Record<string, unknown> };
    const id = m.headers?.['call-id'];
    if (typeof id === 'string') out.set(id, f.slice(0, -'.json'.length));
  }
  return out;
}

/** Which message a failure is about: the test's last "# processing 'x'" line, else the expected Call-ID. */
function messageOf(f: Failure, byCallId: Map<string, string>): string {
  const logged = /^# processing '([^']+)'/.exec(f.after ?? '');
  if (logged !== null) return logged[1] as string;
  const id = (f.expected as { headers?: Record<string, unknown> } | undefined)?.headers?.['call-id'];
  return (typeof id === 'string' ? byCallId.get(id) : undefined) ?? '?';
}

/**
 * Explains every failed assertion of one classic test (`about`: what it is about, when the test
 * does not say, e.g. a script's name). A deep-equality failure is split into its
 * differing paths, each explained on its own; a throw while parsing is explained only as the
 * `strict-parse` refusal of RFC 4475 `badcseq` (the facade returns undefined for it).
 */
export function explainFailures(test: string, failures: Failure[], byCallId: Map<string, string>, about?: string): Explanation[] {
  const out: Explanation[] = [];
  for (const f of failures) {
    const message = about ?? messageOf(f, byCallId);
    if (f.kind === 'deepEqual') {
      const paths = diffPaths(f.actual, f.expected);
      // Loosely equal once undefined is dropped: nothing to explain it, so it stays unexplained.
      if (paths.length === 0) out.push({ test, message, path: '', difference: undefined, detail: 'deepEqual failed with no differing path' });
      for (const p of paths) {
        const c: Case = { test, message, path: p.join('.'), ours: at(f.actual, p), classic: at(f.expected, p) };
        const rule = RULES.find((r) => r.matches(c));
        out.push({ test, message, path: c.path, difference: rule?.id, detail: `classic ${show(c.classic)} / sipts ${show(c.ours)}` });
      }
      continue;
    }
    const refused = f.kind === 'threw' && test === 'parser/torture' && message === 'badcseq' && f.message.startsWith('SyntaxError: "undefined" is not valid JSON');
    out.push({ test, message, path: '', difference: refused ? 'strict-parse' : undefined, detail: `${f.kind}: ${f.message.split('\n')[0] ?? ''}` });
  }
  return out;
}
