/**
 * One header of the object model as wire lines (RFC 3261 §7.3): structured values through their
 * stringifier, scalars as they are, the canonical spelling of the name.
 */
import { stringifyAuthHeader } from './auth.js';
import { canonicalHeaderName } from './header-names.js';
import { stringifyNameAddr } from './name-addr.js';
import type { AuthHeader, AuthInfo, CSeq, NameAddr } from './types.js';
import { stringifyVia } from './via.js';

type Stringifier = (value: never) => string;

const STRUCTURED: Record<string, Stringifier | undefined> = {
  via: stringifyVia,
  from: stringifyNameAddr,
  to: stringifyNameAddr,
  'refer-to': stringifyNameAddr,
  contact: stringifyNameAddr,
  route: stringifyNameAddr,
  'record-route': stringifyNameAddr,
  path: stringifyNameAddr,
  cseq: ((c: CSeq | string) => (typeof c === 'string' ? c : String(c.seq) + ' ' + c.method)),
  'www-authenticate': stringifyAuthHeader,
  'proxy-authenticate': stringifyAuthHeader,
  authorization: stringifyAuthHeader,
  'proxy-authorization': stringifyAuthHeader,
  'authentication-info': stringifyAuthHeader,
  'proxy-authentication-info': stringifyAuthHeader,
};

/** One header value as text: structured values through their stringifier, scalars as they are. */
function valueText(v: unknown, fn: Stringifier | undefined): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      if (v === null) return '';
      if (fn !== undefined) return fn(v as never);
      // An address object under a header we do not know (P-Asserted-Identity…) is written as one.
      if ('uri' in v) return stringifyNameAddr(v as NameAddr);
      return stringifyAuthHeader(v as AuthHeader | AuthInfo);
    case 'undefined':
    case 'function':
    case 'symbol':
      return '';
  }
}

/** The lines (each ending with CRLF) of header `key` holding `value`; '' for no value. */
export function headerLines(key: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  const name = canonicalHeaderName(key);
  const fn = Object.hasOwn(STRUCTURED, key) ? STRUCTURED[key] : undefined;
  if (Array.isArray(value)) {
    let out = '';
    for (const v of value as unknown[]) {
      if (v === undefined || v === null) continue;
      out += name + ': ' + valueText(v, fn) + '\r\n';
    }
    return out;
  }
  return name + ': ' + valueText(value, fn) + '\r\n';
}

