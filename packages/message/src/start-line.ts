/**
 * Start lines: Request-Line and Status-Line (RFC 3261 §7.1, §7.2, §25.1).
 */
import { TOKEN } from './chars.js';
import { fail } from './add-header.js';
import { parseBoundedInt } from './header-values.js';
import { methodAt } from './methods.js';
import { scanCodes } from './params.js';
import { codesFor } from './scan-source.js';
import type { Headers, SipRequest, SipResponse } from './types.js';
import { checkSipUriSyntax, schemeEndAt } from './uri.js';
import { PlainRequest, PlainResponse } from './plain.js';

/**
 * Request-URI checks on `text[start, end)` (RFC 3261 §19.1.5, RFC 4475 §3.1.2.x): a scheme, and
 * for sip/sips a valid URI without headers. Scans the message text in place.
 */
function checkRequestUri(text: string, start: number, end: number): void {
  const colon = schemeEndAt(text, start);
  if (colon === -1 || colon >= end) fail('invalid-request-uri', 'Request-URI has no valid scheme', start);
  const len = colon - start;
  const isSip =
    (len === 3 || (len === 4 && (text.charCodeAt(start + 3) | 0x20) === 0x73)) &&
    (text.charCodeAt(start) | 0x20) === 0x73 &&
    (text.charCodeAt(start + 1) | 0x20) === 0x69 &&
    (text.charCodeAt(start + 2) | 0x20) === 0x70;
  if (isSip) {
    const problem = checkSipUriSyntax(text, colon + 1, end);
    if (problem !== undefined) fail('invalid-request-uri', problem.what, problem.at);
  } else if (colon + 1 === end) {
    fail('invalid-request-uri', 'empty Request-URI after the scheme', end);
  }
}

/**
 * Parses the start line `text[start, eol)` and returns the message shell holding `headers`.
 * @throws SipParseError `invalid-request-line`, `invalid-method`, `invalid-request-uri`,
 * `unsupported-version` (505), `invalid-status-line`, `invalid-status`
 */
export function parseStartLine(text: string, start: number, eol: number, headers: Headers): SipRequest | SipResponse {
  if (text.startsWith('SIP/', start)) {
    const sp = text.indexOf(' ', start);
    if (sp === -1 || sp > eol) fail('invalid-status-line', 'status line has no status code', eol);
    const version = sp - start === 7 && text.startsWith('2.0', start + 4) ? '2.0' : text.slice(start + 4, sp);
    if (version !== '2.0') fail('unsupported-version', `SIP version '${version}' is not supported`, start + 4, 505);
    let codeEnd = sp + 1;
    while (codeEnd < eol && text.charCodeAt(codeEnd) !== 0x20) codeEnd++;
    const code = text.slice(sp + 1, codeEnd);
    const status = code.length === 3 ? parseBoundedInt(code, 699) : -1;
    if (status < 100) fail('invalid-status', `status code '${code}' is not 100-699`, sp + 1);
    return new PlainResponse(status, codeEnd < eol ? text.slice(codeEnd + 1, eol) : '', version, headers, '');
  }
  const sp1 = scanCodes(codesFor(text), start, TOKEN);
  if (sp1 === start) fail('invalid-method', 'request line has no method token', start);
  if (text.charCodeAt(sp1) !== 0x20) fail('invalid-request-line', 'request line is not "Method SP Request-URI SP SIP-Version"', sp1);
  const sp2 = text.lastIndexOf(' ', eol);
  if (sp2 === sp1) fail('invalid-request-line', 'request line is not "Method SP Request-URI SP SIP-Version"', sp1);
  if (eol - sp2 !== 8 || !text.startsWith('SIP/2.0', sp2 + 1)) {
    const version = text.slice(sp2 + 1, eol);
    if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(version)) fail('invalid-request-line', `'${version}' is not a SIP version`, sp2 + 1);
    if (version.slice(4) !== '2.0') fail('unsupported-version', `SIP version '${version}' is not supported`, sp2 + 1, 505);
  }
  const uriEnd = text.indexOf(' ', sp1 + 1);
  if (uriEnd !== sp2 || sp2 === sp1 + 1) fail('invalid-request-line', 'whitespace in or around the Request-URI', sp1 + 1);
  checkRequestUri(text, sp1 + 1, sp2);
  return new PlainRequest(methodAt(text, start, sp1), text.slice(sp1 + 1, sp2), headers);
}
