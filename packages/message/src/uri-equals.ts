/**
 * URI comparison (RFC 3261 §19.1.4).
 */
import type { Params, SipUri, Uri } from './types.js';
import { parseUri, stringifyUri } from './uri.js';

/** RFC 2396 `reserved`: these stay distinct from their %-escapes when comparing (§19.1.4). */
const RESERVED = ';/?:@&=+$,';

/** Decodes `%HH` escapes of unreserved characters only; escapes of reserved ones are upper-cased. */
function normalizeEscapes(s: string): string {
  if (s.indexOf('%') === -1) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return RESERVED.includes(ch) ? '%' + hex.toUpperCase() : ch;
  });
}

/** Parameters that, present in either URI, must be present and equal in both (§19.1.4). */
const STRICT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

function paramValue(p: Params, name: string): string | null | undefined {
  if (!Object.hasOwn(p, name)) return undefined;
  const v = p[name];
  return v === null || v === undefined ? (v) : String(v).toLowerCase();
}

function sipEquals(a: SipUri, b: SipUri): boolean {
  if (a.schema !== b.schema) return false;
  if (normalizeEscapes(a.user ?? '') !== normalizeEscapes(b.user ?? '')) return false;
  if (normalizeEscapes(a.password ?? '') !== normalizeEscapes(b.password ?? '')) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
  if (a.port !== b.port) return false;
  for (const name of STRICT_PARAMS) {
    if (paramValue(a.params, name) !== paramValue(b.params, name)) return false;
  }
  for (const name of Object.keys(a.params)) {
    if (!Object.hasOwn(b.params, name)) continue;
    if (paramValue(a.params, name) !== paramValue(b.params, name)) return false;
  }
  const ah = Object.keys(a.headers);
  const bh = Object.keys(b.headers);
  if (ah.length !== bh.length) return false;
  const bByName = new Map(bh.map((k) => [k.toLowerCase(), b.headers[k] ?? '']));
  for (const k of ah) {
    const other = bByName.get(k.toLowerCase());
    if (other === undefined || normalizeEscapes(other) !== normalizeEscapes(a.headers[k] ?? '')) return false;
  }
  return true;
}

/**
 * Compares two URIs by the rules of RFC 3261 §19.1.4: scheme, user and password (case-sensitive,
 * escapes decoded), host (case-insensitive), port (absent ≠ default), the `user`, `ttl`, `method`,
 * `maddr` and `transport` parameters, other parameters present in both, and all URI headers.
 * Other schemes compare as text, with a case-insensitive scheme.
 * @example uriEquals('sip:%61lice@AtLanTa.com;transport=TCP', 'sip:alice@atlanta.com;transport=tcp') // true
 * @see RFC 3261 §19.1.4
 */
export function uriEquals(a: string | Uri, b: string | Uri): boolean {
  const ua = parseUri(a);
  const ub = parseUri(b);
  if (ua === undefined || ub === undefined) return false;
  if ((ua.schema === 'sip' || ua.schema === 'sips') && (ub.schema === 'sip' || ub.schema === 'sips')) {
    return sipEquals(ua as SipUri, ub as SipUri);
  }
  if (ua.schema.toLowerCase() !== ub.schema.toLowerCase()) return false;
  return stringifyUri(ua).slice(ua.schema.length) === stringifyUri(ub).slice(ub.schema.length);
}
