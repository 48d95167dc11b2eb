/**
 * The serializer: the object model back to wire text (RFC 3261 §7), with Content-Length in bytes.
 */
import { headerLines } from './header-lines.js';
import { concatPooled, encodeUtf8Pooled } from './byte-pool.js';
import { decodeLatin1, encodeUtf8, isAscii, utf8Length } from './text.js';
import type { SipMessage } from './types.js';
import { stringifyUri } from './uri.js';
import { reasonPhrase } from './reason-phrases.js';
import { headersWithRaw } from './serialize-raw.js';
import { rawOf } from './raw-headers.js';

/** The start line of `m`, with its CRLF. */
function startLine(m: SipMessage): string {
  if (typeof m.method === 'string') return m.method + ' ' + stringifyUri(m.uri) + ' SIP/' + (m.version ?? '2.0') + '\r\n';
  const reason = m.reason ?? reasonPhrase(m.status);
  return 'SIP/' + (m.version ?? '2.0') + ' ' + String(m.status) + ' ' + reason + '\r\n';
}

/** The start line and headers, ending with the empty line; Content-Length set to `bodyBytes`. */
function head(m: SipMessage, bodyBytes: number): string {
  const headers = m.headers;
  const raw = rawOf(headers);
  if (raw !== undefined) return startLine(m) + headersWithRaw(headers, raw, bodyBytes) + '\r\n';
  let out = startLine(m);
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
 * @example socket.send(Buffer.from(stringifyMessage(makeResponse(rq, 200)), 'latin1'))
 * @see RFC 3261 §7
 */
export function stringifyMessage(m: SipMessage): string {
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
