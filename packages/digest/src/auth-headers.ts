/**
 * Reading the authentication headers of a message defensively: parsed objects from the parser,
 * raw strings from an application that built the message itself, parameter names in any case.
 * Nothing here throws: what cannot be read is reported as malformed.
 * @see RFC 3261 §20.6, §20.7, §20.27, §20.28, §20.44; RFC 7615 (Proxy-Authentication-Info)
 */
import { parseAuthHeader, parseAuthInfo, stringifyUri, type AuthHeader, type AuthInfo, type SipMessage, type SipRequest } from '@sipts/message';

/** The headers that carry challenges or credentials. */
export type AuthHeaderName = 'authorization' | 'proxy-authorization' | 'www-authenticate' | 'proxy-authenticate';

/** The headers that carry the server's Authentication-Info. */
export type AuthInfoName = 'authentication-info' | 'proxy-authentication-info';

/** An auth header with lower-cased parameter names and string values only. */
function normalize(v: unknown): AuthHeader | undefined {
  if (typeof v === 'string') {
    try {
      return parseAuthHeader(v);
    } catch {
      return undefined;
    }
  }
  if (v === null || typeof v !== 'object') return undefined;
  const src = v as Record<string, unknown>;
  if (typeof src.scheme !== 'string') return undefined;
  const out: AuthHeader = { scheme: src.scheme };
  for (const key of Object.keys(src)) {
    const value = src[key];
    if (key === 'scheme' || value === undefined || value === null) continue;
    if (typeof value !== 'string') return undefined;
    const name = key.toLowerCase();
    if (name === '__proto__') continue;
    if (out[name] !== undefined) return undefined;
    out[name] = value;
  }
  return out;
}

/** The values of an auth header; `malformed` when any value could not be read. */
export function readAuthHeaders(message: SipMessage, name: AuthHeaderName): { list: AuthHeader[]; malformed: boolean } {
  const raw: unknown = Object.hasOwn(message.headers, name) ? message.headers[name] : undefined;
  if (raw === undefined) return { list: [], malformed: false };
  const values: unknown[] = Array.isArray(raw) ? raw : [raw];
  const list: AuthHeader[] = [];
  let malformed = false;
  for (const v of values) {
    const h = normalize(v);
    if (h === undefined) malformed = true;
    else list.push(h);
  }
  return { list, malformed };
}

/** The Authentication-Info parameters (lower-cased names), undefined when absent, `null` when unreadable. */
export function readAuthInfo(message: SipMessage, name: AuthInfoName): AuthInfo | undefined | null {
  const raw: unknown = Object.hasOwn(message.headers, name) ? message.headers[name] : undefined;
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    try {
      return parseAuthInfo(raw);
    } catch {
      return null;
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const h = normalize({ ...(raw as Record<string, unknown>), scheme: '' });
  if (h === undefined) return null;
  const out: AuthInfo = {};
  for (const key of Object.keys(h)) {
    if (key !== 'scheme') out[key] = h[key];
  }
  return out;
}

/** True when `h` is a Digest challenge or credentials (the scheme is case-insensitive). */
export function isDigest(h: AuthHeader): boolean {
  return h.scheme.toLowerCase() === 'digest';
}

/** The Request-URI as text. */
export function requestUriOf(request: SipRequest): string {
  return typeof request.uri === 'string' ? request.uri : stringifyUri(request.uri);
}

/** The body of a message: a string (hashed as UTF-8) or bytes. */
export function bodyOf(message: SipMessage): string | Uint8Array {
  const c: unknown = message.content;
  return typeof c === 'string' || c instanceof Uint8Array ? c : '';
}

/** The header for challenges in a 401 or 407 and for the credentials that answer them. */
export function headerNames(proxy: boolean): { challenge: AuthHeaderName; credentials: AuthHeaderName; info: AuthInfoName } {
  return proxy
    ? { challenge: 'proxy-authenticate', credentials: 'proxy-authorization', info: 'proxy-authentication-info' }
    : { challenge: 'www-authenticate', credentials: 'authorization', info: 'authentication-info' };
}
