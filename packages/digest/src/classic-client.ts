/**
 * The classic client-side API: `signRequest` and `authenticateResponse`. Same arguments as the
 * classic `sip/digest`, with its bugs fixed: `signRequest` always returns the request, only Digest
 * challenges are answered (the strongest supported one), cnonces are random, `auth-int` covers the
 * response body, and a 407 is checked against Proxy-Authentication-Info.
 * @see docs/CLASSIC-API.md "Submodules" (`sip/digest`); RFC 2617 §3.2.2, §3.2.3; RFC 7616 §3.4
 */
import { SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { HASH_HEX_LENGTH, hashOf, kdHex } from './algorithms.js';
import { bodyOf, headerNames, readAuthHeaders, readAuthInfo, requestUriOf } from './auth-headers.js';
import { buildCredentials, negotiateQop, pickChallenge, withoutRealm } from './challenge.js';
import type { DigestCredentials, DigestSession } from './classic-session.js';
import { algorithmOrThrow, calculateDigest, formatNc, sessionHA1 } from './compute.js';
import { unquote } from './quote.js';
import { randomToken } from './random.js';
import { timingSafeEqual } from './timing-safe-equal.js';

function initClient(session: DigestSession, response: SipResponse, credentials: DigestCredentials | undefined): void {
  const proxy = response.status === 407;
  const { list } = readAuthHeaders(response, headerNames(proxy).challenge);
  const wanted = credentials?.realm === undefined ? undefined : unquote(credentials.realm);
  const c = (wanted === undefined ? undefined : pickChallenge(list, { realm: wanted })) ?? pickChallenge(list);
  if (c === undefined) throw new SipError('no-digest-challenge', `the ${String(response.status)} response has no Digest challenge to answer`, { status: response.status });
  session.proxy = proxy;
  const algorithm = c.algorithmGiven ? c.algorithm : undefined;
  if (session.nonce !== c.nonce || session.algorithm !== algorithm || session.realm !== c.realm) {
    const qop = negotiateQop(c.qops, session.qop?.split(',').map((q) => q.trim().toLowerCase()));
    if (qop === null) throw new SipError('qop-negotiation-failed', `none of the qops offered (${c.qops.join(',')}) is acceptable`, { status: response.status });
    const hash = hashOf(c.algorithm);
    const user = credentials?.user === undefined ? session.user : unquote(credentials.user);
    if (typeof user !== 'string') throw new SipError('invalid-argument', 'signRequest needs credentials with a user to answer a challenge');
    let base: string | undefined;
    if (typeof credentials?.hash === 'string' && credentials.hash.length === HASH_HEX_LENGTH[hash]) base = credentials.hash.toLowerCase();
    else if (typeof credentials?.password === 'string') base = kdHex(hash, user, c.realm, unquote(credentials.password));
    else if (session.hashAlgorithm === hash && session.realm === c.realm && session.user === user) base = session.userhash ?? undefined;
    if (base === undefined) throw new SipError('invalid-argument', `signRequest needs a password (or a ${hash} hash) for realm '${c.realm}'`);

    session.nonce = c.nonce;
    if (algorithm === undefined) delete session.algorithm;
    else session.algorithm = algorithm;
    if (qop === undefined) {
      delete session.qop;
      delete session.nc;
      delete session.cnonce;
    } else {
      session.qop = qop;
      session.nc = 0;
      session.cnonce = randomToken(16);
    }
    session.realm = c.realm;
    session.user = user;
    session.userhash = base;
    session.hashAlgorithm = hash;
    session.ha1 = sessionHA1(c.algorithm, base, c.nonce, session.cnonce);
    if (c.domain === undefined) delete session.domain;
    else session.domain = c.domain;
    session.sendUserhash = c.userhash;
    session.utf8 = c.utf8;
  }
  if (c.opaque === undefined) delete session.opaque;
  else session.opaque = c.opaque;
}

/**
 * Adds Authorization (Proxy-Authorization after a 407) to `request`, replacing an earlier one for
 * the same realm, and returns the request. Pass the 401/407 `response` and `credentials` to
 * (re)initialize the session from its challenge (the strongest supported Digest challenge, of
 * `credentials.realm` when given); later calls sign with the next nonce count.
 * @throws SipError `no-digest-challenge` (no Digest challenge in `response`), `qop-negotiation-failed`,
 *   `invalid-argument` (no credentials to answer with, or a session that was never initialized)
 * @example rq = digest.signRequest(session, rq, rs401, { user: 'carol', password: '1234' })
 * @see RFC 7616 §3.4, RFC 3261 §22.2
 */
export function signRequest<Rq extends SipRequest>(session: DigestSession | null | undefined, request: Rq, response?: SipResponse, credentials?: DigestCredentials): Rq {
  const s: DigestSession = session ?? {};
  if (response !== undefined) initClient(s, response, credentials);
  const { nonce, realm, ha1, user } = s;
  if (typeof nonce !== 'string' || typeof realm !== 'string' || typeof ha1 !== 'string' || typeof user !== 'string') {
    throw new SipError('invalid-argument', 'signRequest needs a session initialized from a 401/407 response');
  }
  const algorithm = algorithmOrThrow(s.algorithm);
  const qop = s.qop === 'auth' || s.qop === 'auth-int' ? s.qop : undefined;
  const nc = qop === undefined ? undefined : (s.nc = (s.nc ?? 0) + 1);
  s.uri = requestUriOf(request);
  const sendUserhash = s.sendUserhash === true;
  const header = buildCredentials({
    method: request.method,
    uri: s.uri,
    body: bodyOf(request),
    realm,
    nonce,
    opaque: s.opaque,
    algorithm,
    sendAlgorithm: s.algorithm !== undefined,
    qop,
    nc,
    cnonce: s.cnonce,
    username: sendUserhash ? kdHex(hashOf(algorithm), user, realm) : user,
    userhash: sendUserhash,
    utf8: s.utf8 === true,
    ha1,
  });
  const name = headerNames(s.proxy === true).credentials;
  request.headers[name] = [...withoutRealm(readAuthHeaders(request, name).list, realm), header];
  return request;
}

/**
 * Checks the server's signature: true when the `rspauth` of Authentication-Info (Proxy-
 * Authentication-Info after a 407) is right, false when it is wrong, undefined when the header or
 * its `rspauth` is absent. A `nextnonce` is taken into the session.
 * @example if (digest.authenticateResponse(session, rs) === false) throw new Error('server not authenticated')
 * @see RFC 2617 §3.2.3, RFC 7615
 */
export function authenticateResponse(session: DigestSession, response: SipResponse): boolean | undefined {
  const info = readAuthInfo(response, headerNames(session.proxy === true).info);
  if (info === undefined) return undefined;
  if (info === null) return false;
  const rspauth = unquote(info.rspauth);
  let result: boolean | undefined;
  if (rspauth !== undefined) {
    const { ha1, nonce } = session;
    if (typeof ha1 !== 'string' || typeof nonce !== 'string') return false;
    const cnonce = unquote(info.cnonce);
    if (cnonce !== undefined && cnonce !== session.cnonce) return false;
    const qop = session.qop === 'auth' || session.qop === 'auth-int' ? session.qop : undefined;
    let expected: string;
    try {
      expected = calculateDigest({
        ha1,
        method: '',
        uri: session.uri ?? '',
        nonce,
        nc: qop === undefined ? undefined : formatNc(session.nc ?? 0),
        cnonce: session.cnonce,
        qop,
        entity: bodyOf(response),
        algorithm: session.algorithm,
      });
    } catch {
      return false;
    }
    result = timingSafeEqual(expected, rspauth.toLowerCase());
    if (!result) return false;
  }
  const next = unquote(info.nextnonce);
  if (next !== undefined && next !== '' && next !== session.nonce && typeof session.userhash === 'string') {
    session.nonce = next;
    if (session.nc !== undefined) session.nc = 0;
    session.ha1 = sessionHA1(algorithmOrThrow(session.algorithm), session.userhash, next, session.cnonce);
  }
  return result;
}
