/**
 * The Request-URI scheme check of a UAS and a proxy: a scheme the stack does not handle is
 * answered 416 Unsupported URI Scheme before the user sees the request.
 * @see RFC 3261 §8.2.2.1, §16.3 (item 2), §21.4.14
 */
import type { SipRequest } from '@sipts/message';

/** Schemes handled by default: SIP, SIPS (RFC 3261) and tel (RFC 3966). */
export const DEFAULT_URI_SCHEMES: readonly string[] = ['sip', 'sips', 'tel'];

/** The scheme of a Request-URI, lower-cased; '' when it has none. */
export function uriSchemeOf(request: SipRequest): string {
  const uri = request.uri;
  if (typeof uri !== 'string') return uri.schema.toLowerCase();
  return (/^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1] ?? '').toLowerCase();
}

/**
 * True when `request`'s Request-URI scheme is one of `schemes` (compared case-insensitively,
 * RFC 3261 §19.1.4), or `schemes` is `'any'`.
 * @example isSchemeHandled(invite, ['sip', 'sips']) // false for nobodyKnowsThisScheme:…
 * @see RFC 3261 §8.2.2.1
 */
export function isSchemeHandled(request: SipRequest, schemes: readonly string[] | 'any'): boolean {
  if (schemes === 'any') return true;
  const uri = request.uri;
  if (typeof uri === 'string') {
    // Every request passes here: compare the text's prefix in place (no regex match, no strings).
    for (let i = 0; i < schemes.length; i++) if (hasScheme(uri, schemes[i] as string)) return true;
    return false;
  }
  const scheme = uriSchemeOf(request);
  for (let i = 0; i < schemes.length; i++) if ((schemes[i] as string).toLowerCase() === scheme) return true;
  return false;
}

/** True when `uri` starts with `scheme` and a colon, the scheme compared case-insensitively. */
function hasScheme(uri: string, scheme: string): boolean {
  const n = scheme.length;
  if (n === 0 || uri.length <= n || uri.charCodeAt(n) !== 0x3a) return false;
  for (let i = 0; i < n; i++) {
    // ASCII letters differ from their other case in bit 0x20 only; other scheme characters must be equal.
    const a = uri.charCodeAt(i);
    const b = scheme.charCodeAt(i);
    if (a !== b && !((a | 0x20) === (b | 0x20) && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7a)) return false;
  }
  return true;
}
