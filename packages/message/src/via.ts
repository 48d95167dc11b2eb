/**
 * Via (RFC 3261 §20.42, §25.1 `via-parm`), with RFC 5118 IPv6 sent-by and LWS anywhere the
 * grammar allows it (RFC 4475 §3.1.1.1).
 */
import { TOKEN, bracketIpv6, skipWspCodes } from './chars.js';
import { SipError, SipParseError } from './errors.js';
import { parseParamsCodes, scanCodes, stringifyParams } from './params.js';
import { codesFor } from './scan-source.js';
import type { Params, Via } from './types.js';
import { PlainVia } from './plain.js';

const HOST_CHARS = new Uint8Array(128);
for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-') HOST_CHARS[ch.charCodeAt(0)] = 1;
const IPV6_CHARS = new Uint8Array(128);
for (const ch of '0123456789abcdefABCDEF:.') IPV6_CHARS[ch.charCodeAt(0)] = 1;

function fail(what: string, at: number): never {
  throw new SipParseError('invalid-via', what, at);
}

function expectSlash(b: Uint8Array, i: number): number {
  i = skipWspCodes(b, i);
  if (b[i] !== 0x2f) fail("expected '/' in sent-protocol", i);
  return skipWspCodes(b, i + 1);
}

/** Transports written as constants, so the usual ones cost no string per parse. */
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'];

/** `s[start, end)`, as a constant when it is one of {@link TRANSPORTS} spelled in upper case. */
function transportAt(s: string, start: number, end: number): string {
  for (const t of TRANSPORTS) if (t.length === end - start && s.startsWith(t, start)) return t;
  return s.slice(start, end);
}

/**
 * Parses the Via value `s[start, end)` (one or more comma-separated via-parms), appending to
 * `out` (or a new array) and returning it.
 * Offsets in errors are offsets in `s`. The character at `end` must not continue the value
 * (the parser hands in values that end at CR or trailing whitespace).
 * @throws SipParseError `invalid-via`
 */
export function parseViaAt(s: string, start: number, end: number, out: Via[] | undefined): Via[] {
  const b = codesFor(s);
  let i = start;
  for (;;) {
    i = skipWspCodes(b, i);
    let from = i;
    i = scanCodes(b, i, TOKEN);
    if (i - from !== 3 || ((b[from] ?? NaN) | 0x20) !== 0x73 || ((b[from + 1] ?? NaN) | 0x20) !== 0x69 || ((b[from + 2] ?? NaN) | 0x20) !== 0x70) {
      fail('sent-protocol is not SIP', from);
    }
    i = expectSlash(b, i);
    from = i;
    i = scanCodes(b, i, TOKEN);
    if (i === from) fail('missing protocol version', i);
    const version = i - from === 3 && s.startsWith('2.0', from) ? '2.0' : s.slice(from, i);
    i = expectSlash(b, i);
    from = i;
    i = scanCodes(b, i, TOKEN);
    if (i === from) fail('missing transport', i);
    const protocol = transportAt(s, from, i);
    from = i;
    i = skipWspCodes(b, i);
    if (i === from) fail('missing whitespace before sent-by', i);
    from = i;
    if ((b[i] ?? NaN) === 0x5b) {
      i = scanCodes(b, i + 1, IPV6_CHARS);
      if ((b[i] ?? NaN) !== 0x5d || i === from + 1) fail('invalid IPv6 reference in sent-by', from);
      i++;
    } else {
      i = scanCodes(b, i, HOST_CHARS);
      if (i === from) fail('missing sent-by host', i);
    }
    if (i > end) fail('sent-by runs past the value', end);
    const host = s.slice(from, i);
    let port: number | undefined;
    let j = skipWspCodes(b, i);
    if (j < end && (b[j] ?? NaN) === 0x3a) {
      j = skipWspCodes(b, j + 1);
      const portStart = j;
      let value = 0;
      for (let c = (b[j] ?? NaN); c >= 0x30 && c <= 0x39; c = (b[++j] ?? NaN)) value = value * 10 + (c - 0x30);
      if (j === portStart || j - portStart > 5 || value > 65535 || j > end) fail('invalid sent-by port', portStart);
      port = value;
      i = j;
    }
    const params: Params = {};
    i = parseParamsCodes(s, b, i, end, params, 'invalid-via');
    const via = new PlainVia(version, protocol, host, port, params);
    // A literal `[via]` is sized exactly; the first push to `[]` would reserve 17 slots.
    if (out === undefined) out = [via];
    else out.push(via);
    i = skipWspCodes(b, i);
    if (i >= end) return out;
    if ((b[i] ?? NaN) !== 0x2c) fail('unexpected character after Via parameters', i);
    i++;
  }
}

/**
 * Parses a Via header value (one or more comma-separated via-parms).
 * @throws SipParseError `invalid-via`
 * @example parseVia('SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK776')[0].host // '[2001:db8::1]'
 * @see RFC 3261 §20.42
 */
export function parseVia(s: string): Via[] {
  return parseViaAt(s, 0, s.length, undefined);
}

/** Writes one Via value: `SIP/2.0/UDP host:port;params`. */
export function stringifyVia(via: Via): string {
  const protocol: unknown = via.protocol; // plain objects from JavaScript callers may lack it
  if (typeof protocol !== 'string' || protocol === '') throw new SipError('invalid-argument', 'a Via needs its protocol (UDP, TCP, TLS, WS...)');
  const host = bracketIpv6(via.host);
  const hostport = typeof via.port === 'number' && Number.isFinite(via.port) ? host + ':' + String(via.port) : host;
  return 'SIP/' + (via.version || '2.0') + '/' + protocol.toUpperCase() + ' ' + hostport + stringifyParams(via.params);
}
