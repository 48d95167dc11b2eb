/**
 * The classic `sip.parse`: the strict parser of `@sipts/message`, forgiving where only a datagram
 * rule is at stake. An app calls `parse` on text it holds (a file, a log line, a test fixture),
 * not on a datagram: the transport parses datagrams and streams itself and keeps RFC 3261 §18.3.
 */
import { decodeLatin1, parse as parseStrict, safeParseMessage, type Parsed, type SipMessage } from '@sipts/message';

const CONTENT_LENGTH = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d{1,15})[ \t]*(?=\r\n)/i;
const HEAD_END = '\r\n\r\n';


/**
 * Parses one SIP message, or returns `undefined` when it is not one. Like the classic `sip.parse`,
 * a Content-Length larger than the text after the header section gives the body that is there
 * (the classic package's own test parses such a message); the message keeps the declared
 * Content-Length. Everything else is as strict as `@sipts/message`'s `parse`.
 * @example const m = sip.parse(fs.readFileSync('invite.sip')); if (m === undefined) console.log('not SIP')
 * @see RFC 3261 §7, §20.14 (and §18.3, which the transport applies to datagrams)
 */
export function parse(input: Uint8Array | string): Parsed<SipMessage> | undefined {
  const first = safeParseMessage(input);
  if (first.ok) return first.message;
  if (first.error.code !== 'content-length-exceeds-body') return undefined;
  const text = typeof input === 'string' ? input : decodeLatin1(input);
  const end = text.indexOf(HEAD_END);
  if (end === -1) return undefined;
  const match = CONTENT_LENGTH.exec(text.slice(0, end + 2));
  if (match === null) return undefined;
  // Without its Content-Length a message's body runs to the end of the text; then the declared
  // value is put back, as the classic model had it.
  const message = parseStrict(text.slice(0, match.index) + text.slice(match.index + match[0].length));
  if (message === undefined) return undefined;
  message.headers['content-length'] = Number(match[1]);
  return message;
}
