/**
 * The serializer: the object model back to wire text (RFC 3261 §7), with Content-Length in bytes.
 */
import { stringifyAuthHeader } from './auth.js';
import { canonicalHeaderName } from './header-names.js';
import { stringifyNameAddr } from './name-addr.js';
import { concatPooled, encodeUtf8Pooled } from './byte-pool.js';
import { decodeLatin1, encodeUtf8, isAscii, utf8Length } from './text.js';
import type { AuthHeader, AuthInfo, CSeq, NameAddr, SipMessage } from './types.js';
import { stringifyUri } from './uri.js';
import { stringifyVia } from './via.js';
import { reasonPhrase } from './reason-phrases.js';

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

function headerLines(key: string, value: unknown): string {
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

/** The start line and headers, ending with the empty line; Content-Length set to `bodyBytes`. */
function head(m: SipMessage, bodyBytes: number): string {
  let out: string;
  if (typeof m.method === 'string') {
    out = m.method + ' ' + stringifyUri(m.uri) + ' SIP/' + (m.version ?? '2.0') + '\r\n';
  } else {
    const reason = m.reason ?? reasonPhrase(m.status);
    out = 'SIP/' + (m.version ?? '2.0') + ' ' + String(m.status) + ' ' + reason + '\r\n';
  }
  const headers = m.headers;
  let wroteLength = false;
  for (const key in headers) {
    if (key === 'content-length') {
      out += 'Content-Length: ' + String(bodyBytes) + '\r\n';
      wroteLength = true;
      continue;
    }
    out += headerLines(key, headers[key]);
  }
  if (!wroteLength) out += 'Content-Length: ' + String(bodyBytes) + '\r\n';
  return out + '\r\n';
}

/** Text as a "binary" string: one character per UTF-8 byte (ASCII text is returned as is). */
function binaryString(s: string): string {
  return isAscii(s) ? s : decodeLatin1(encodeUtf8(s));
}

/**
 * The classic `sip.stringify`: the message as a "binary" string, one character per byte, as
 * the classic library's transports send it (`Buffer.from(s, 'latin1')`) and as {@link parse}
 * reads it back. Content-Length is the body's length in bytes. ASCII messages are plain text;
 * use {@link serializeMessage} to get bytes directly. Unlike the classic library, the message is
 * not modified.
 * @example socket.send(Buffer.from(stringify(makeResponse(rq, 200)), 'latin1'))
 * @see RFC 3261 §7
 */
export function stringify(m: SipMessage): string {
  const content = m.content;
  if (content === undefined || content === '') return binaryString(head(m, 0));
  if (typeof content === 'string') {
    if (isAscii(content)) return binaryString(head(m, content.length)) + content;
    const body = encodeUtf8(content);
    return binaryString(head(m, body.length)) + decodeLatin1(body);
  }
  return binaryString(head(m, content.length)) + decodeLatin1(content);
}

/**
 * Serializes a message to wire bytes: UTF-8 text, the body byte for byte, Content-Length in bytes.
 * Small results are views into a shared slab (as Node's pooled Buffers are): pass the array
 * itself to a socket, or `.slice()` it to own a copy; its `.buffer` is larger than the message.
 * @example udp.send(serializeMessage(request), port, host)
 * @see RFC 3261 §7, §20.14
 */
export function serializeMessage(m: SipMessage): Uint8Array {
  const content = m.content;
  if (content === undefined || content === '') return encodeUtf8Pooled(head(m, 0));
  if (typeof content === 'string') return encodeUtf8Pooled(head(m, isAscii(content) ? content.length : utf8Length(content)) + content);
  return concatPooled(head(m, content.length), content);
}
