/**
 * Who the browser user agent is: its address of record, the random `.invalid` host of its Via and
 * Contact (RFC 7118 §5), and its instance id (RFC 5626 §4.1). Randomness from crypto.getRandomValues.
 * @see RFC 7118 §5, RFC 5626 §4.1, RFC 4122 §4.4
 */
import { parseUri, stringifyUri } from '@sipts/message';

/** A parsed address of record: `sip:user@domain`. */
export interface AddressOfRecord {
  /** The user part, as written (escapes kept). */
  user: string;
  /** The domain (host, with a port when one was given). */
  domain: string;
  /** `sip:user@domain` (no parameters). */
  uri: string;
}

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A random token of letters and digits (for `.invalid` hosts and Contact user parts). */
export function randomName(length = 12): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const b = new Uint8Array(length);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => alphabet.charAt(x % alphabet.length)).join('');
}

/**
 * A random `urn:uuid:` (UUID version 4) for `+sip.instance`.
 * @example newInstanceId() // 'urn:uuid:0c5b…'
 * @see RFC 5626 §4.1, RFC 4122 §4.4
 */
export function newInstanceId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Reads what a user typed as a SIP address: `sip:alice@example.com`, `alice@example.com`, or
 * `alice` with a default domain. Returns undefined when it is not a usable SIP address.
 * @example parseAddress('alice@localhost') // { user: 'alice', domain: 'localhost', uri: 'sip:alice@localhost' }
 * @see RFC 3261 §19.1
 */
export function parseAddress(text: string, defaultDomain?: string): AddressOfRecord | undefined {
  let t = text.trim();
  if (t === '') return undefined;
  if (!/^sips?:/i.test(t)) {
    if (!t.includes('@')) {
      if (defaultDomain === undefined || defaultDomain === '') return undefined;
      t = `${t}@${defaultDomain}`;
    }
    t = `sip:${t}`;
  }
  const u = parseUri(t);
  if (u === undefined || (u.schema !== 'sip' && u.schema !== 'sips')) return undefined;
  if (!('host' in u) || u.user === undefined || u.user === '' || u.host === '') return undefined;
  const domain = u.port === undefined ? u.host : `${u.host}:${String(u.port)}`;
  return { user: u.user, domain, uri: stringifyUri({ schema: 'sip', user: u.user, host: u.host, port: u.port, params: {}, headers: {} }) };
}
