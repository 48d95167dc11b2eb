/**
 * A Digest client (UAC): answers 401/407 challenges with the strongest supported algorithm, keeps
 * the nonce count per nonce, retries on `stale=true` without new credentials, stops when the
 * server rejects the credentials, and checks the server's `rspauth` (mutual authentication).
 * @see RFC 3261 §22.2, §22.3; RFC 7616 §3.4, §3.5; RFC 8760; RFC 7615
 */
import { copyMessage, SipError, type AuthHeader, type AuthInfo, type SipRequest, type SipResponse } from '@sipts/message';
import { hashOf, kdHex, type DigestAlgorithm, type DigestQop } from './algorithms.js';
import { bodyOf, headerNames, isDigest, readAuthHeaders, readAuthInfo, requestUriOf } from './auth-headers.js';
import { buildCredentials, negotiateQop, pickChallenge, withoutRealm, type DigestChallenge } from './challenge.js';
import { calculateDigest, formatNc, sessionHA1 } from './compute.js';
import { unquote } from './quote.js';
import { randomToken } from './random.js';
import { userRealmPasswordHash, type DigestSecret } from './secret.js';
import { timingSafeEqual } from './timing-safe-equal.js';

/** Options of {@link createDigestClient}: the user's name and password (or stored hashes). */
export interface DigestClientOptions extends DigestSecret {
  username: string;
  /** Answer challenges of this realm only. Default: any realm. */
  realm?: string;
  /** Algorithms this client accepts. Default: all six. */
  algorithms?: readonly DigestAlgorithm[];
  /** Qops in order of preference. Default `['auth', 'auth-int']`. */
  qop?: readonly DigestQop[];
  /** Send H(user:realm) instead of the name when the server offers `userhash=true`. Default true. */
  userhash?: boolean;
}

/** A Digest client for one user. */
export interface DigestClient {
  /**
   * With a 401/407: a copy of `request` to send again (CSeq + 1, same Call-ID, a new Via branch)
   * with credentials for each challenge it answers. Without one: a copy signed with the nonces in
   * use (pre-emptive credentials), if any.
   * @throws SipError `no-digest-challenge` when nothing in the response can be answered;
   *   `auth-rejected` when the request already carried credentials for that realm and the new
   *   challenge is not `stale=true` (the password is wrong); `invalid-argument` for another status
   */
  authorize(request: SipRequest, challenge?: SipResponse): SipRequest;
  /**
   * Checks the `rspauth` of the (Proxy-)Authentication-Info in a response to a request signed by
   * {@link authorize}, and takes its `nextnonce`. True or false; undefined when there is nothing to check.
   */
  verify(response: SipResponse): boolean | undefined;
}

interface RealmState {
  proxy: boolean;
  challenge: DigestChallenge;
  qop: DigestQop | undefined;
  cnonce: string | undefined;
  nc: number;
  /** H(user:realm:password). */
  base: string;
  ha1: string;
  /** What goes into `username`: the name, or H(user:realm). */
  username: string;
  userhash: boolean;
}

interface SentAuth {
  proxy: boolean;
  realm: string;
  algorithm: DigestAlgorithm;
  qop: DigestQop | undefined;
  nc: number | undefined;
  cnonce: string | undefined;
  nonce: string;
  uri: string;
  ha1: string;
}

const MAX_SENT = 256;

function sentKey(m: SipRequest | SipResponse): string | undefined {
  const cseq = m.headers.cseq;
  const callId = m.headers['call-id'];
  if (cseq === undefined || typeof callId !== 'string') return undefined;
  return `${callId}\n${String(cseq.seq)}\n${cseq.method}`;
}

/**
 * Creates a Digest client.
 * @throws SipError `invalid-argument` without a username, or without a password or hash
 * @example
 * const auth = createDigestClient({ username: 'alice', password: 'secret' });
 * let rs = await stack.send(register).final;
 * if (rs.status === 401 || rs.status === 407) rs = await stack.send(auth.authorize(register, rs)).final;
 * auth.verify(rs); // true when the server proved it knows the password
 * @see RFC 3261 §22.2, RFC 7616 §3.4
 */
export function createDigestClient(options: DigestClientOptions): DigestClient {
  if (typeof options.username !== 'string') throw new SipError('invalid-argument', 'a digest client needs a username');
  if (options.password === undefined && options.ha1 === undefined) throw new SipError('invalid-argument', 'a digest client needs a password or ha1');
  const preference = options.qop ?? ['auth', 'auth-int'];
  const states = new Map<string, RealmState>();
  const sent = new Map<string, SentAuth[]>();
  const baseFor = (c: DigestChallenge): string | undefined => userRealmPasswordHash(options, options.username, c.realm, hashOf(c.algorithm));

  function newState(proxy: boolean, c: DigestChallenge, qop: DigestQop | undefined, base: string): RealmState {
    const cnonce = qop === undefined ? undefined : randomToken(16);
    const userhash = c.userhash && options.userhash !== false;
    return {
      proxy,
      challenge: c,
      qop,
      cnonce,
      nc: 0,
      base,
      ha1: sessionHA1(c.algorithm, base, c.nonce, cnonce),
      username: userhash ? kdHex(hashOf(c.algorithm), options.username, c.realm) : options.username,
      userhash,
    };
  }

  function sign(request: SipRequest, st: RealmState): AuthHeader {
    const c = st.challenge;
    const nc = st.qop === undefined ? undefined : ++st.nc;
    const uri = requestUriOf(request);
    const key = sentKey(request);
    if (key !== undefined) {
      const entry: SentAuth = { proxy: st.proxy, realm: c.realm, algorithm: c.algorithm, qop: st.qop, nc, cnonce: st.cnonce, nonce: c.nonce, uri, ha1: st.ha1 };
      const list = (sent.get(key) ?? []).filter((s) => s.proxy !== st.proxy || s.realm !== c.realm);
      sent.delete(key);
      sent.set(key, [...list, entry]);
      if (sent.size > MAX_SENT) sent.delete(sent.keys().next().value ?? '');
    }
    return buildCredentials({
      method: request.method,
      uri,
      body: bodyOf(request),
      realm: c.realm,
      nonce: c.nonce,
      opaque: c.opaque,
      algorithm: c.algorithm,
      sendAlgorithm: c.algorithmGiven,
      qop: st.qop,
      nc,
      cnonce: st.cnonce,
      username: st.username,
      userhash: st.userhash,
      utf8: c.utf8,
      ha1: st.ha1,
    });
  }

  function fromChallenge(request: SipRequest, response: SipResponse): RealmState[] {
    const out: RealmState[] = [];
    for (const proxy of [true, false]) {
      const names = headerNames(proxy);
      const { list } = readAuthHeaders(response, names.challenge);
      const c = pickChallenge(list, {
        realm: options.realm,
        algorithms: options.algorithms,
        usable: (x) => baseFor(x) !== undefined && negotiateQop(x.qops, preference) !== null,
      });
      if (c === undefined) continue;
      // Credentials on a fresh nonce (nc 1, or no nc) answered by a challenge that is not stale:
      // the password is wrong. After a reused nonce (nc > 1) one more try is fair: the server
      // may simply have lost the nonce (a restart, another instance).
      const previous = readAuthHeaders(request, names.credentials).list.find((h) => isDigest(h) && unquote(h.realm) === c.realm);
      const previousNc = previous === undefined ? undefined : parseInt(unquote(previous.nc) ?? '1', 16);
      if (previousNc !== undefined && !(previousNc > 1) && !c.stale) {
        throw new SipError('auth-rejected', `the credentials for realm '${c.realm}' were rejected`, { status: response.status });
      }
      const key = `${proxy ? 'proxy' : 'www'} ${c.realm}`;
      const old = states.get(key);
      const qop = negotiateQop(c.qops, preference) ?? undefined;
      const base = baseFor(c) ?? '';
      const st = old?.challenge.nonce === c.nonce && old.challenge.algorithm === c.algorithm ? old : newState(proxy, c, qop, base);
      states.set(key, st);
      out.push(st);
    }
    return out;
  }

  function checkInfo(s: SentAuth, info: AuthInfo, response: SipResponse): boolean | undefined {
    const rspauth = unquote(info.rspauth);
    let result: boolean | undefined;
    if (rspauth !== undefined) {
      const qop = unquote(info.qop)?.toLowerCase() ?? s.qop;
      const cnonce = unquote(info.cnonce);
      const nc = unquote(info.nc);
      const ncText = s.nc === undefined ? undefined : formatNc(s.nc);
      if (qop !== s.qop || (cnonce !== undefined && cnonce !== s.cnonce) || (nc !== undefined && nc.toLowerCase() !== ncText)) return false;
      const expected = calculateDigest({ ha1: s.ha1, method: '', uri: s.uri, nonce: s.nonce, nc: ncText, cnonce: s.cnonce, qop: s.qop, entity: bodyOf(response), algorithm: s.algorithm });
      result = timingSafeEqual(expected, rspauth.toLowerCase());
      if (!result) return false;
    }
    const next = unquote(info.nextnonce);
    const st = states.get(`${s.proxy ? 'proxy' : 'www'} ${s.realm}`);
    if (next !== undefined && next !== '' && st !== undefined && st.challenge.nonce !== next) {
      const fresh = newState(s.proxy, { ...st.challenge, nonce: next, stale: false }, st.qop, st.base);
      states.set(`${s.proxy ? 'proxy' : 'www'} ${s.realm}`, fresh);
    }
    return result;
  }

  return {
    authorize(request, challenge) {
      let toSign: RealmState[];
      const out = copyMessage(request, true);
      if (challenge !== undefined) {
        if (challenge.status !== 401 && challenge.status !== 407) {
          throw new SipError('invalid-argument', `authorize needs a 401 or 407 response, not ${String(challenge.status)}`);
        }
        toSign = fromChallenge(request, challenge);
        if (toSign.length === 0) throw new SipError('no-digest-challenge', 'the response has no Digest challenge this client can answer', { status: challenge.status });
        // A new request: RFC 3261 §22.2 (CSeq + 1, same Call-ID) and §8.1.1.7 (a new branch).
        if (out.headers.cseq !== undefined) out.headers.cseq = { ...out.headers.cseq, seq: out.headers.cseq.seq + 1 };
        const top = out.headers.via?.[0];
        if (top !== undefined) top.params = { ...top.params, branch: 'z9hG4bK' + randomToken(12) };
      } else {
        toSign = [...states.values()];
      }
      for (const st of toSign) {
        const name = headerNames(st.proxy).credentials;
        const existing = readAuthHeaders(out, name).list;
        out.headers[name] = [...withoutRealm(existing, st.challenge.realm), sign(out, st)];
      }
      return out;
    },
    verify(response) {
      const key = sentKey(response);
      const list = key === undefined ? undefined : sent.get(key);
      if (list === undefined) return undefined;
      let result: boolean | undefined;
      for (const s of list) {
        const info = readAuthInfo(response, headerNames(s.proxy).info);
        if (info === undefined) continue;
        if (info === null) return false;
        const r = checkInfo(s, info, response);
        if (r === false) return false;
        if (r === true) result = true;
      }
      return result;
    },
  };
}
