/**
 * Answering a request that failed parsing: a 400 built from the raw bytes, since there is no
 * parsed message to copy from. The Via, From, To, Call-ID and CSeq lines are copied as written
 * (long or compact names, any case) so the client can match the response to its transaction.
 * @see RFC 3261 §8.2.6.1 (building a response), §18.2.1 (a malformed request), §21.4.1 (400), §20.43 (Warning)
 */
import { decodeLatin1, reasonPhrase } from '@sipts/message';
import { generateTag } from './branch.js';

/** The header section is looked for in at most this many bytes. */
const MAX_SCAN_BYTES = 65_536;
/** A copied line longer than this is left out (its value cannot be trusted anyway). */
const MAX_LINE_CHARS = 4096;
/** At most this many Via lines are copied. */
const MAX_VIA_LINES = 32;

const TOKEN_LINE = /^[A-Za-z0-9.!%*_+`'~-]+ /;
const HEADER = /^([A-Za-z0-9.!%*_+`'~-]+)[ \t]*:[ \t]*(.*)$/s;

/** Compact and long names (lower case) of the copied headers, with their canonical spelling. */
const COPIED: Record<string, string | undefined> = {
  via: 'Via',
  v: 'Via',
  from: 'From',
  f: 'From',
  to: 'To',
  t: 'To',
  'call-id': 'Call-ID',
  i: 'Call-ID',
  cseq: 'CSeq',
};


function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Removes control characters (a tab becomes a space) and surrounding whitespace. */
function clean(value: string): string {
  return value.replace(/\t/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').trim();
}

/** A Warning text: printable ASCII only, no quotes or backslashes, at most 200 characters. */
function warningText(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, ' ').replace(/["\\]/g, "'").slice(0, 200);
}

/** True when a To value already carries a tag (looked for after the URI's closing `>`, if any). */
function hasTag(to: string): boolean {
  const gt = to.lastIndexOf('>');
  return /;[ \t]*tag[ \t]*=/i.test(gt === -1 ? to : to.slice(gt));
}

/** The header lines of `text` (unfolded), up to the first empty line; the first line is the start line. */
function lines(text: string): string[] {
  const raw = text.split(/\r\n|\n|\r/);
  let i = 0;
  while (i < raw.length && raw[i] === '') i++; // leading CRLFs (keep-alives) before the message
  const out: string[] = [];
  for (; i < raw.length; i++) {
    const line = raw[i] ?? '';
    if (line === '') break;
    const c = line.charCodeAt(0);
    const last = out.length - 1;
    if ((c === 0x20 || c === 0x09) && last >= 1) out[last] = (out[last] ?? '') + ' ' + line.trim();
    else out.push(line);
  }
  return out;
}

/**
 * Builds a response (by default `400 Bad Request`) to a request that failed parsing, from its raw
 * bytes: the Via, From, To, Call-ID and CSeq lines are copied, a To tag is added when there is
 * none, and a `Warning: 399 - "<reason>"` carries the parse error.
 * @param reason why the request is refused (e.g. the parse error's message)
 * @param status the status to answer with, 400 unless the parse error says otherwise (505)
 * @returns the response bytes, or undefined when the bytes are not a request, are an ACK, or have no Via
 *   (then nobody can be answered: drop them)
 * @example const rs = badRequestFor(datagram, error.message); if (rs) socket.send(rs, port, address)
 * @see RFC 3261 §8.2.6.1, §18.2.1, §21.4.1
 */
export function badRequestFor(bytes: Uint8Array, reason: string, status = 400): Uint8Array | undefined {
  const all = lines(decodeLatin1(bytes.subarray(0, MAX_SCAN_BYTES)));
  const start = all[0];
  // A response is never answered, nor is an ACK (RFC 3261 §17.2.1: no response to an ACK).
  if (start === undefined || /^SIP\//i.test(start) || !TOKEN_LINE.test(start) || /^ACK /i.test(start)) return undefined;
  const vias: string[] = [];
  const single = new Map<string, string>();
  for (let i = 1; i < all.length; i++) {
    const m = HEADER.exec(all[i] ?? '');
    if (m === null) continue;
    const name = COPIED[(m[1] ?? '').toLowerCase()];
    if (name === undefined) continue;
    const value = clean(m[2] ?? '');
    if (value === '' || value.length > MAX_LINE_CHARS) continue;
    if (name === 'Via') {
      if (vias.length < MAX_VIA_LINES) vias.push(value);
    } else if (!single.has(name)) {
      single.set(name, value);
    }
  }
  if (vias.length === 0) return undefined;
  const to = single.get('To');
  if (to !== undefined && !hasTag(to)) single.set('To', to + ';tag=' + generateTag());
  const code = Number.isInteger(status) && status >= 400 && status <= 699 ? status : 400;
  let out = 'SIP/2.0 ' + String(code) + ' ' + reasonPhrase(code) + '\r\n';
  for (const v of vias) out += 'Via: ' + v + '\r\n';
  for (const name of ['From', 'To', 'Call-ID', 'CSeq']) {
    const v = single.get(name);
    if (v !== undefined) out += name + ': ' + v + '\r\n';
  }
  out += 'Warning: 399 - "' + warningText(reason) + '"\r\n';
  out += 'Content-Length: 0\r\n\r\n';
  return latin1Bytes(out);
}
