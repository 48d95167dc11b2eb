/**
 * Reading the parameters of Digest credentials (an Authorization or Proxy-Authorization value)
 * into checked values. A missing or improper directive is reported, never thrown: the server
 * answers it with 400 (RFC 2617 §3.2.2: "If a directive or its value is improper, or required
 * directives are missing, the proper response is 400 Bad Request").
 * @see RFC 7616 §3.4, RFC 2617 §3.2.2, RFC 3261 §25.1 (digest-response)
 */
import type { AuthHeader } from '@sipts/message';
import { normalizeAlgorithm, type DigestAlgorithm, type DigestQop } from './algorithms.js';
import { decodeExtValue, unquote } from './quote.js';

/** Digest credentials, checked for form (not yet for truth). */
export interface DigestCredentialParams {
  /** The username as sent (decoded from `username*`); with `userhash`, the hash H(user:realm). */
  username: string;
  userhash: boolean;
  realm: string;
  nonce: string;
  uri: string;
  /** The request digest, lower-cased. */
  response: string;
  /** The algorithm (MD5 when absent), or undefined for a token this package does not know. */
  algorithm: DigestAlgorithm | undefined;
  /** The algorithm token as sent (for messages). */
  algorithmToken: string;
  qop: DigestQop | undefined;
  /** The nonce count, with a qop. */
  nc: number | undefined;
  /** `nc` as sent (eight hex digits), with a qop. */
  ncText: string | undefined;
  cnonce: string | undefined;
  opaque: string | undefined;
}

/** The result of {@link parseCredentials}. */
export type ParsedCredentials = { ok: true; value: DigestCredentialParams } | { ok: false; message: string };

function bad(message: string): ParsedCredentials {
  return { ok: false, message };
}

/**
 * Checks the form of Digest credentials: required directives present, `nc` eight hex digits with a
 * qop, `username` xor `username*`, a known qop.
 * @example parseCredentials(request.headers.authorization[0])
 * @see RFC 7616 §3.4, §3.4.4
 */
export function parseCredentials(h: AuthHeader): ParsedCredentials {
  const rawName = h.username;
  const extName = h['username*'];
  const userhashToken = unquote(h.userhash)?.toLowerCase();
  if (userhashToken !== undefined && userhashToken !== 'true' && userhashToken !== 'false') return bad(`userhash must be true or false, not '${userhashToken}'`);
  const userhash = userhashToken === 'true';
  let username: string;
  if (rawName !== undefined && extName !== undefined) return bad('both username and username* are present');
  if (extName !== undefined) {
    if (userhash) return bad('username* cannot be used with userhash=true');
    const decoded = decodeExtValue(unquote(extName));
    if (decoded === undefined) return bad('username* is not a UTF-8 ext-value');
    username = decoded;
  } else if (rawName !== undefined) {
    username = unquote(rawName);
  } else {
    return bad('the username directive is missing');
  }

  const realm = unquote(h.realm);
  const nonce = unquote(h.nonce);
  const uri = unquote(h.uri);
  const response = unquote(h.response)?.toLowerCase();
  if (realm === undefined) return bad('the realm directive is missing');
  if (nonce === undefined || nonce === '') return bad('the nonce directive is missing');
  if (uri === undefined || uri === '') return bad('the uri directive is missing');
  if (response === undefined || !/^[0-9a-f]+$/.test(response)) return bad('the response directive is missing or not hex');

  const algorithmToken = unquote(h.algorithm) ?? 'MD5';
  const algorithm = normalizeAlgorithm(algorithmToken);

  const qopToken = unquote(h.qop)?.toLowerCase();
  let qop: DigestQop | undefined;
  let nc: number | undefined;
  let ncText: string | undefined;
  let cnonce: string | undefined;
  if (qopToken !== undefined) {
    if (qopToken !== 'auth' && qopToken !== 'auth-int') return bad(`unknown qop '${qopToken}'`);
    qop = qopToken;
    ncText = unquote(h.nc);
    if (ncText === undefined || !/^[0-9a-fA-F]{8}$/.test(ncText)) return bad('nc must be eight hex digits');
    nc = parseInt(ncText, 16);
    if (nc === 0) return bad('nc must start at 00000001');
    cnonce = unquote(h.cnonce);
    if (cnonce === undefined || cnonce === '') return bad('the cnonce directive is missing');
  }
  return {
    ok: true,
    value: { username, userhash, realm, nonce, uri, response, algorithm, algorithmToken, qop, nc, ncText, cnonce, opaque: unquote(h.opaque) },
  };
}
