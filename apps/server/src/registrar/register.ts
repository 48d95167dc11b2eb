/**
 * The registrar (RFC 3261 §10.3), step by step, on the location store; with Path (RFC 3327) and
 * flows (RFC 5626 §6; RFC 7118 §5 for WebSocket clients, which always keep their flow).
 * @see RFC 3261 §10.3, RFC 3327 §5.3, RFC 5626 §6
 */
import { makeResponse, serializeMessage, stringifyUri, type SipRequest, type SipResponse } from '@sipts/message';
import { optionTags } from '@sipts/proxy';
import { generateTag, type Remote, type Target } from '@sipts/transport';
import type { Authenticator } from '../auth.js';
import type { LocalDomains } from '../domains.js';
import { flowOf, targetOf } from '../flows.js';
import type { Binding, FlowRef, LocationStore } from '../store/index.js';
import { ContactError, deltaSeconds, readContact, type ContactRequest } from './contacts.js';
import { acceptedPath } from './path.js';
import { okResponse } from './response.js';

/** Option tags the registrar supports (RFC 3261 §10.3 step 2). */
export const SUPPORTED = ['path', 'outbound'] as const;

/** What the registrar works with. */
export interface RegistrarDeps {
  store: LocationStore;
  auth: Authenticator;
  domains: LocalDomains;
  expires: { minExpires: number; maxExpires: number; defaultExpires: number };
  /** This instance: the owner of the flows it keeps. */
  instanceId: string;
  now: () => number;
  /** The Route URI other instances use to reach `flow` through this one (carries a flow token). */
  selfRoute: (flow: FlowRef) => string;
  /**
   * A registration of `user` kept a flow: requests to `contact` go over `target`;
   * `removeOnClose`: its bindings are removed when the connection closes.
   */
  onFlowBinding: (binding: { user: string; contact: string; target: Target; removeOnClose: boolean }) => void;
  /** A REGISTER was refused, for the metrics. */
  rejected: (reason: string) => void;
  /** Bindings one AOR may have: a REGISTER that would leave more gets 403. */
  maxBindings: number;
  /** True for a Contact that names this server (a request to it would come straight back). */
  isSelf: (contact: string) => boolean;
  /** A limit was hit (`bindings-per-aor`, `self-contact`, `register-200-too-big`). */
  limited: (limit: 'bindings-per-aor' | 'self-contact' | 'register-200-too-big') => void;
  /** Logs at warn (a 200 too big for UDP). */
  warn: (attrs: Record<string, unknown>, message: string) => void;
  /** Flow-Timer for the 200 of an outbound registration (RFC 5626 §4.4.1); none when absent. */
  flowTimerSeconds?: number;
  /** A Path that no hop next to the server added was dropped (see `path.ts`). */
  pathDropped?: () => void;
}

/** The largest UDP payload (IPv4: 65,535 − 20 − 8); a bigger 200 cannot be sent over UDP. */
export const UDP_MAX_BYTES = 65_507;

function uriHasOb(uri: string): boolean {
  return /;ob(?=[;?>]|$)/i.test(uri);
}

/**
 * Handles one REGISTER whose Request-URI names a local domain; resolves to the response to send
 * (never rejects for bad input; a store failure rejects and is answered 500 by the caller).
 * @example const rs = await register(rq, remote, deps); proxy.send(rs)
 * @see RFC 3261 §10.3
 */
export async function register(rq: SipRequest, remote: Remote, deps: RegistrarDeps): Promise<SipResponse> {
  const reply = (status: number, reason: string, headers?: SipRequest['headers'], phrase?: string): SipResponse => {
    deps.rejected(reason);
    return makeResponse(rq, status, phrase, { toTag: generateTag(), ...(headers !== undefined ? { headers } : {}) });
  };
  // Step 1 (the Request-URI names a local domain) is the router's: it sends only those here.
  // Step 2: every extension in Require must be one we understand, else 420 with Unsupported.
  const unsupported = [...new Set(optionTags(rq.headers.require))].filter((t) => !(SUPPORTED as readonly string[]).includes(t));
  if (unsupported.length > 0) return reply(420, 'bad-extension', { unsupported: unsupported.join(', ') });

  // Step 3: authenticate (RFC 3261 §22: 401 with one challenge per algorithm). An AOR that is
  // not a configured user is challenged like one that is, and its credentials fail like a wrong
  // password: the answer does not tell which users exist (no enumeration).
  const to = rq.headers.to;
  const target = to === undefined ? undefined : deps.domains.aorOf(to.uri);
  if (target === undefined) return reply(404, 'unknown-aor');
  const { aor, user } = target;
  const verified = await deps.auth.verify(rq, user, false, remote.address);
  if (!verified.ok) {
    deps.rejected(verified.reason === 'no-credentials' ? 'challenge' : `auth-${verified.reason}`);
    const rs = deps.auth.reject(rq, user, verified);
    return rs;
  }
  // Step 4: authorize: a user registers only its own AOR (third-party registration refused).
  if (verified.username !== user) return reply(403, 'forbidden');
  // Step 5: the AOR is a configured user (always true once its owner authenticated).
  if (!deps.auth.has(user)) return reply(404, 'unknown-aor');

  // Step 6: the Contact values; `*` only alone and with Expires: 0 (RFC 3261 §10.2.2).
  const contacts = rq.headers.contact ?? [];
  const headerExpires = deltaSeconds(rq.headers.expires);
  if (headerExpires === 'bad') return reply(400, 'bad-request');
  const now = deps.now();
  const callId = rq.headers['call-id'] ?? '';
  const cseq = rq.headers.cseq?.seq ?? 0;
  const sign = (rs: SipResponse): SipResponse => deps.auth.sign(rs, user, verified);
  if (contacts.some((c) => c.uri === '*')) {
    if (contacts.length !== 1 || headerExpires !== 0) return reply(400, 'bad-wildcard');
    // Step 6 with `*`: the Call-ID/CSeq rule of step 7 applies per binding; an out-of-order
    // request (same Call-ID, CSeq not higher) removes nothing.
    const existing = await deps.store.lookup(aor, now);
    const stale = existing.some((b) => b.callId === callId && cseq <= b.cseq);
    if (!stale) await deps.store.removeAll(aor);
    return sign(okResponse(rq, { bindings: await deps.store.lookup(aor, now), now, path: [] }));
  }

  let requested: ContactRequest[];
  try {
    requested = contacts.map((c) => readContact(c, headerExpires, deps.expires.defaultExpires));
  } catch (e) {
    if (e instanceof ContactError) return reply(400, 'bad-contact');
    throw e;
  }
  for (const c of requested) {
    if (c.uri.startsWith('sip:') || c.uri.startsWith('sips:') || c.uri.startsWith('tel:')) continue;
    return reply(400, 'bad-contact');
  }
  // A Contact naming this server would send every call to the AOR straight back here (a spiral
  // that multiplies with each such binding, RFC 3261 §16.3 item 4): refused.
  if (requested.some((c) => c.expires > 0 && deps.isSelf(c.uri))) {
    deps.limited('self-contact');
    return reply(403, 'self-contact', undefined, 'Contact Names This Server');
  }
  // Step 7: below Min-Expires (but not 0) → 423 with Min-Expires; above the maximum → clamped.
  if (requested.some((c) => c.expires > 0 && c.expires < deps.expires.minExpires)) {
    return reply(423, 'interval-too-brief', { 'min-expires': String(deps.expires.minExpires) });
  }

  // RFC 5626 §6: instance + reg-id means outbound; the first hop must support it (439 if a
  // proxy in between did not add a Path with `ob`).
  const received = rq.headers.path ?? [];
  const paths = acceptedPath(received, remote);
  if (paths.length < received.length) deps.pathDropped?.();
  const outbound = requested.some((c) => c.regId !== undefined);
  if (outbound && (rq.headers.via?.length ?? 0) > 1 && !paths.some((p) => uriHasOb(stringifyUri(p.uri)))) {
    return reply(439, 'first-hop-lacks-outbound');
  }
  // Keep the flow for outbound, and always on connections (RFC 7118 §5: a WebSocket client is
  // reachable only over its connection; TCP/TLS clients behind NAT likewise).
  const keepFlow = outbound || remote.protocol !== 'UDP';
  const flow = keepFlow ? flowOf(remote) : undefined;
  const path = [...(flow !== undefined ? [deps.selfRoute(flow)] : []), ...paths.map((p) => stringifyUri(p.uri))];

  // Step 7: per binding, Call-ID and CSeq ordering against what is stored.
  const existing = new Map((await deps.store.lookup(aor, now)).map((b) => [b.key, b]));
  const after = new Set(existing.keys());
  for (const c of requested) {
    if (c.expires === 0) after.delete(c.key);
    else after.add(c.key);
  }
  // A cap on bindings per AOR: each is a branch of every call to it.
  if (after.size > deps.maxBindings && after.size > existing.size) {
    deps.limited('bindings-per-aor');
    return reply(403, 'too-many-bindings', undefined, 'Too Many Bindings');
  }
  const put: Binding[] = [];
  const remove: string[] = [];
  for (const c of requested) {
    const old = existing.get(c.key);
    if (old !== undefined && old.callId === callId && cseq <= old.cseq) return reply(500, 'out-of-order');
    if (c.expires === 0) {
      remove.push(c.key);
      continue;
    }
    const seconds = Math.min(c.expires, deps.expires.maxExpires);
    put.push({
      aor,
      key: c.key,
      contact: c.uri,
      q: c.q,
      expiresAt: now + seconds * 1000,
      callId,
      cseq,
      ...(c.instanceId !== undefined ? { instanceId: c.instanceId } : {}),
      ...(c.regId !== undefined ? { regId: c.regId } : {}),
      path,
      ...(flow !== undefined ? { flow } : {}),
      owner: deps.instanceId,
      source: `${remote.protocol}:${remote.address}:${String(remote.port)}`,
      contactParams: c.params,
    });
  }
  const current = await deps.store.update(aor, { put, remove }, now);
  // Outbound bindings and WebSocket clients (RFC 7118 §5) die with their connection; a plain
  // TCP/TLS binding stays until it expires (RFC 3261 §10.3) and is reached by its Contact then.
  const removeOnClose = outbound || remote.protocol === 'WS' || remote.protocol === 'WSS';
  if (flow !== undefined) for (const b of put) deps.onFlowBinding({ user, contact: b.contact, target: targetOf(flow), removeOnClose });

  // Step 8: 200 with every current binding, Date, Path echoed when the UA supports it.
  const echo = optionTags(rq.headers.supported).includes('path') ? paths : [];
  let rs = okResponse(rq, { bindings: current, now, path: echo });
  // 1 KiB spare for the Authentication-Info that `sign` adds.
  if (remote.protocol === 'UDP' && serializeMessage(rs).length > UDP_MAX_BYTES - 1024) {
    // Too big for a datagram: the phone still learns what became of its own contacts.
    const mine = new Set(requested.map((c) => c.key));
    rs = okResponse(rq, { bindings: current.filter((b) => mine.has(b.key)), now, path: echo });
    deps.limited('register-200-too-big');
    deps.warn({ aor, bindings: current.length, listed: mine.size }, 'REGISTER 200 too big for UDP: listing only the contacts of this request');
  }
  if (outbound) {
    rs.headers.require = 'outbound';
    // RFC 5626 §4.4.1: how often the phone must send keep-alives for us to keep its flow.
    if (deps.flowTimerSeconds !== undefined) rs.headers['flow-timer'] = String(deps.flowTimerSeconds);
  }
  return sign(rs);
}
