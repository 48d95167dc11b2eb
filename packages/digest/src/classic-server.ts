/**
 * The classic server-side API: `challenge`, `authenticateRequest`, `signResponse`, plus the
 * undocumented `generateNonce`/`extractNonceTimestamp`. Same arguments and results as the classic
 * `sip/digest`, with its bugs fixed: the client's `nc` is checked (not a server counter), nonces
 * are random and timestamped and expire with `stale=true`, username/uri/opaque/algorithm are
 * checked, and a 407 is answered with Proxy-Authentication-Info.
 * @see docs/CLASSIC-API.md "Submodules" (`sip/digest`); RFC 2617 §3.2; RFC 7616 §3.3–§3.5
 */
import { SipError, uriEquals, type AuthHeader, type AuthInfo, type SipRequest, type SipResponse } from '@sipts/message';
import { HASH_HEX_LENGTH, hashOf, kdHex } from './algorithms.js';
import { bodyOf, headerNames, isDigest, readAuthHeaders, requestUriOf } from './auth-headers.js';
import {
  CLASSIC_NONCE_LIFETIME,
  classicNonceFactory,
  nonceAge,
  nonceExpired,
  offeredAlgorithms,
  offeredQops,
  type DigestCredentials,
  type DigestSession,
} from './classic-session.js';
import { calculateDigest, formatNc, sessionHA1 } from './compute.js';
import { parseCredentials } from './credentials.js';
import { nonceTime } from './nonce.js';
import { quote, unquote } from './quote.js';
import { timingSafeEqual } from './timing-safe-equal.js';

/**
 * Adds a Digest challenge (one per algorithm in `session.algorithm`, strongest first) to a 401
 * (WWW-Authenticate) or 407 (Proxy-Authenticate) response, stores the new nonce in the session,
 * and returns the response. `stale=true` is sent when the last request failed only on an expired nonce.
 * @throws SipError `invalid-argument` when the session has no realm
 * @example digest.challenge(session, sip.makeResponse(rq, 401, 'Authentication Required'))
 * @see RFC 7616 §3.3, RFC 3261 §22.1
 */
export function challenge<R extends SipResponse>(session: DigestSession, response: R): R {
  const realm = session.realm;
  if (typeof realm !== 'string' || realm === '') throw new SipError('invalid-argument', 'the digest session needs a realm');
  session.proxy = response.status === 407;
  session.nonce = classicNonceFactory().issue(realm, Date.now());
  session.nc = 0;
  delete session.nextnonce;
  session.qop ??= 'auth,auth-int';
  session.algorithm ??= 'md5';
  const qop = offeredQops(session);
  const stale = session.stale === true;
  delete session.stale;
  const name = headerNames(session.proxy).challenge;
  const list = response.headers[name] ?? [];
  for (const algorithm of offeredAlgorithms(session)) {
    const h: AuthHeader = { scheme: 'Digest', realm: quote(realm) };
    if (typeof session.domain === 'string') h.domain = quote(session.domain);
    h.nonce = quote(session.nonce);
    if (typeof session.opaque === 'string') h.opaque = quote(session.opaque);
    if (stale) h.stale = 'true';
    h.algorithm = algorithm;
    if (qop.length > 0) h.qop = quote(qop.join(','));
    list.push(h);
  }
  response.headers[name] = list;
  return response;
}

function sameUri(a: string, b: string): boolean {
  return a === b || uriEquals(a, b);
}

function check(session: DigestSession, request: SipRequest, credentials: DigestCredentials | undefined): boolean {
  const realm = session.realm;
  const nonce = session.nonce;
  if (typeof realm !== 'string' || typeof nonce !== 'string') return false;
  if (credentials?.realm !== undefined && unquote(credentials.realm) !== realm) return false;
  const found = readAuthHeaders(request, headerNames(session.proxy === true).credentials).list.find((h) => isDigest(h) && unquote(h.realm) === realm);
  if (found === undefined) return false;
  const parsed = parseCredentials(found);
  if (!parsed.ok) return false;
  const c = parsed.value;
  const next = c.nonce !== nonce;
  if (next && (typeof session.nextnonce !== 'string' || c.nonce !== session.nextnonce)) return false;
  if (c.algorithm === undefined || !offeredAlgorithms(session).includes(c.algorithm)) return false;
  if (c.qop !== undefined && !offeredQops(session).includes(c.qop)) return false;
  if (!sameUri(c.uri, requestUriOf(request))) return false;
  if (typeof session.opaque === 'string' && c.opaque !== session.opaque) return false;

  const hash = hashOf(c.algorithm);
  const user = credentials?.user ?? session.user;
  if (typeof user !== 'string') return false;
  const name = unquote(user);
  if (c.userhash ? !timingSafeEqual(kdHex(hash, name, realm), c.username.toLowerCase()) : c.username !== name) return false;
  let base: string | undefined;
  if (typeof credentials?.hash === 'string' && credentials.hash.length === HASH_HEX_LENGTH[hash]) base = credentials.hash.toLowerCase();
  else if (typeof credentials?.password === 'string') base = kdHex(hash, name, realm, unquote(credentials.password));
  else if (credentials === undefined && session.hashAlgorithm === hash && session.user === name) base = session.userhash ?? undefined;
  if (base === undefined) return false;

  const ha1 = sessionHA1(c.algorithm, base, c.nonce, c.cnonce);
  const expected = calculateDigest({ ha1, method: request.method, uri: c.uri, nonce: c.nonce, nc: c.ncText, cnonce: c.cnonce, qop: c.qop, entity: bodyOf(request), algorithm: c.algorithm });
  if (!timingSafeEqual(expected, c.response)) return false;
  // The credentials are right: cache them, as the classic API promises.
  session.user = name;
  session.userhash = base;
  session.hashAlgorithm = hash;

  if (nonceExpired(session, c.nonce, Date.now())) {
    session.stale = true;
    return false;
  }
  if (next) {
    session.nonce = c.nonce;
    session.nc = 0;
    delete session.nextnonce;
  }
  // The client's count must grow; without a qop a nonce serves one request.
  const nc = c.nc ?? 1;
  if (nc <= (session.nc ?? 0)) {
    if (c.qop === undefined) session.stale = true;
    return false;
  }
  session.nc = nc;
  if (c.cnonce === undefined) delete session.cnonce;
  else session.cnonce = c.cnonce;
  if (c.qop === undefined) delete session.lastQop;
  else session.lastQop = c.qop;
  session.uri = c.uri;
  session.ha1 = ha1;
  session.lastAlgorithm = c.algorithm;
  return true;
}

/**
 * True when the request carries valid credentials for the session's challenge. `credentials` are
 * needed on the first call; they are cached in the session (as H(user:realm:password), never the
 * password). Never throws: malformed credentials, a wrong user, uri, opaque, nonce or password, an
 * expired nonce (then the next `challenge` says `stale=true`) or an nc that does not grow are `false`.
 * @example if (!digest.authenticateRequest(session, rq, { user: 'carol', password: '1234' })) sip.send(digest.challenge(session, sip.makeResponse(rq, 401)))
 * @see RFC 7616 §3.4, RFC 2617 §3.2.2
 */
export function authenticateRequest(session: DigestSession, request: SipRequest, credentials?: DigestCredentials): boolean {
  try {
    return check(session, request, credentials);
  } catch {
    return false;
  }
}

/**
 * Adds Authentication-Info (Proxy-Authentication-Info after a 407) with `rspauth` for the last
 * authenticated request, and a `nextnonce` once the nonce is past half its lifetime (always without
 * a qop). Returns the response (unchanged when the session has authenticated nothing).
 * @example sip.send(digest.signResponse(session, sip.makeResponse(rq, 200, 'OK')))
 * @see RFC 2617 §3.2.3, RFC 7615
 */
export function signResponse<R extends SipResponse>(session: DigestSession, response: R): R {
  const { ha1, nonce, realm } = session;
  if (typeof ha1 !== 'string' || typeof nonce !== 'string' || typeof realm !== 'string') return response;
  const info: AuthInfo = {};
  const qop = session.lastQop;
  if (typeof qop === 'string') {
    const nc = formatNc(session.nc ?? 0);
    info.qop = qop;
    info.rspauth = quote(
      calculateDigest({ ha1, method: '', uri: session.uri ?? '', nonce, nc, cnonce: session.cnonce, qop, entity: bodyOf(response), algorithm: session.lastAlgorithm }),
    );
    info.cnonce = quote(session.cnonce ?? '');
    info.nc = nc;
  }
  const now = Date.now();
  const age = nonceAge(nonce, now);
  if (typeof qop !== 'string' || (age !== undefined && age >= (session.nonceLifetime ?? CLASSIC_NONCE_LIFETIME) / 2)) {
    session.nextnonce = classicNonceFactory().issue(realm, now);
    info.nextnonce = quote(session.nextnonce);
  }
  response.headers[headerNames(session.proxy === true).info] = info;
  return response;
}

/**
 * A timestamped nonce (classic export): the time plus an HMAC under this module's random key.
 * @example generateNonce('example.com')
 */
export function generateNonce(tag: string, timestamp?: Date): string {
  return classicNonceFactory().issue(tag, (timestamp ?? new Date()).getTime());
}

/**
 * The time a {@link generateNonce} nonce was made (classic export): a Date, `false` when its MAC is
 * wrong (not ours, or tampered with), undefined when it is not such a nonce.
 */
export function extractNonceTimestamp(nonce: string, tag: string): Date | false | undefined {
  if (nonceTime(nonce) === undefined) return undefined;
  const r = classicNonceFactory().check(nonce, tag, Date.now());
  return r.valid ? new Date(r.issuedAt) : false;
}
