/**
 * The route callback of the proxy core, with the server's trust rules in one place (the table in
 * the README): REGISTER to the registrar; in-dialog requests forwarded only for dialogs this
 * server record-routed (proven by the dialog token in our Route, `dialog-token.ts`), every other
 * request handled as out-of-dialog; a local user in From authenticated (407) whatever the To tag;
 * ACKs forwarded only within our dialogs; requests to local users sent to their bindings only
 * (a caller's Route dropped), forked to at most `forksPerRequest`; other domains forwarded only
 * for authenticated local users and only when configured; identity headers from outside removed.
 * MESSAGE (RFC 3428) takes the same path as INVITE.
 * @see RFC 3261 §16, §12.2, §22.3; RFC 3325 §5; RFC 3428 §4
 */
import { makeResponse, stringifyUri, type SipRequest, type SipResponse } from '@sipts/message';
import type { ForwardTarget, Proxy } from '@sipts/proxy';
import { toTag } from '@sipts/transaction';
import { generateTag, type Remote, type Target } from '@sipts/transport';
import type { Logger as PinoLogger } from 'pino';
import type { Authenticator } from '../auth.js';
import type { LocalDomains } from '../domains.js';
import type { FlowTable } from '../flows.js';
import type { LimitName, TrustRule } from '../metrics.js';
import type { RateLimiter } from '../rate-limit.js';
import { register, type RegistrarDeps } from '../registrar/register.js';
import type { LocationStore } from '../store/index.js';
import type { DialogTokens } from './dialog-token.js';
import { targetOfBinding, type TargetContext } from './targets.js';
import { assertIdentity, dropForeignRoute, removeIdentity } from './trust.js';

/** What our own Route entries, removed by the proxy core (RFC 3261 §16.4), said (see arrival.ts). */
export interface Arrival {
  /** The request's top Route named this instance (in-dialog requests, or a peer instance). */
  routedToUs: boolean;
  /** The user part of that Route: a flow token when a peer instance sends us a request for a flow. */
  routeUser: string | undefined;
  /** The dialog token (`;dlg=`) of the first of our own leading Route entries that had one. */
  dialogToken?: string | undefined;
}

/** The router's collaborators. */
export interface RouterDeps {
  proxy: () => Proxy;
  store: LocationStore;
  auth: Authenticator;
  domains: LocalDomains;
  flows: FlowTable;
  dialogs: DialogTokens;
  registrar: RegistrarDeps;
  targets: TargetContext;
  limiter: RateLimiter;
  log: PinoLogger;
  now: () => number;
  forking: 'parallel' | 'sequential';
  otherDomains: 'forward' | 'refuse';
  authRequests: boolean;
  /** RFC 3325: set P-Asserted-Identity from the authenticated user. */
  assertIdentity: boolean;
  /** Branches one request is forked to at most (highest q first). */
  forksPerRequest: number;
  limited: (limit: LimitName) => void;
  trust: (rule: TrustRule) => void;
  /** True while stopping: new requests get 503. */
  draining: () => boolean;
  rejected: (reason: string) => void;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK';

/** Who sent a request, as far as the rules are concerned. */
interface Caller {
  /** The local user the From names (canonical), if any. */
  user?: string;
  /** True when that user proved it (digest) on this request. */
  verified: boolean;
}

/**
 * Creates the route callback. It is synchronous for the proxy core; the work (store, auth) is
 * asynchronous and every failure ends in a response (500), never in an unhandled rejection.
 * @example const route = createRouter(deps); proxy = createProxy(stack, options, (rq, remote, removed) => route(rq, remote, arrivalOf(removed)))
 */
export function createRouter(deps: RouterDeps): (rq: SipRequest, remote: Remote, arrival: Arrival) => void {
  const respond = (rq: SipRequest, status: number, headers?: SipRequest['headers']): void => {
    deps.proxy().send(makeResponse(rq, status, undefined, { toTag: generateTag(), ...(headers !== undefined ? { headers } : {}) }));
  };
  const forward = (rq: SipRequest, targets?: ForwardTarget[]): void => {
    deps.proxy().send(rq, { ...(targets !== undefined ? { targets } : {}), mode: deps.forking });
  };

  /**
   * The flow an in-dialog request for a local user goes over: the one its Request-URI (that
   * user's contact, e.g. a WebSocket `.invalid` one) was seen on, when we are the last hop.
   */
  const flowOfDialog = (rq: SipRequest): Target | undefined => {
    if (rq.headers.route !== undefined || rq.headers.to === undefined) return undefined;
    const callee = deps.domains.aorOf(rq.headers.to.uri);
    return callee === undefined ? undefined : deps.flows.contactTarget(callee.user, stringifyUri(rq.uri));
  };

  /**
   * RFC 3261 §22.3: a request whose From names a local user proves it (407), whatever its To
   * tag, then carries no credentials of ours. Undefined when it has been answered.
   */
  async function authenticate(rq: SipRequest, remote: Remote): Promise<Caller | undefined> {
    const from = rq.headers.from === undefined ? undefined : deps.domains.aorOf(rq.headers.from.uri);
    if (from === undefined) return { verified: false };
    // CANCEL cannot be challenged (RFC 3261 §22.1); it goes where its INVITE went.
    if (!deps.authRequests || rq.method === 'CANCEL') return { user: from.user, verified: false };
    const v = await deps.auth.verify(rq, from.user, true, remote.address);
    if (!v.ok) {
      deps.proxy().send(deps.auth.reject(rq, from.user, v));
      return undefined;
    }
    if (v.username !== from.user) {
      respond(rq, 403);
      return undefined;
    }
    delete rq.headers['proxy-authorization'];
    // The contacts an authenticated user sends from a flow are reached over it (RFC 5626 §5.3).
    if (remote.flowId !== undefined) {
      const target: Target = { protocol: remote.protocol, address: remote.address, port: remote.port, flowId: remote.flowId };
      for (const c of rq.headers.contact ?? []) if (c.uri !== '*') deps.flows.rememberContact(from.user, c.uri, target);
    }
    if (deps.assertIdentity) {
      assertIdentity(rq, from.aor);
      deps.trust('identity-asserted');
    }
    return { user: from.user, verified: true };
  }

  /**
   * `authenticated`: the caller proved to be a local user. Only then is an unknown callee
   * answered 404; anyone else gets what a user who is not registered gets (480), so calls do not
   * tell strangers which users exist (no enumeration).
   */
  async function toLocalUser(rq: SipRequest, target: { user: string; aor: string }, authenticated: boolean): Promise<void> {
    if (!deps.auth.has(target.user) && authenticated) {
      respond(rq, 404);
      return;
    }
    if (dropForeignRoute(rq)) deps.trust('route-dropped');
    const bindings = deps.auth.has(target.user) ? await deps.store.lookup(target.aor, deps.now()) : [];
    let targets = bindings.map((b) => targetOfBinding(b, deps.targets)).filter((t): t is ForwardTarget => t !== undefined);
    if (targets.length === 0) {
      respond(rq, 480);
      return;
    }
    if (targets.length > deps.forksPerRequest) {
      // The highest q first; equal q keep the store's order (a stable sort).
      targets = [...targets].sort((a, b) => (b.q ?? 1) - (a.q ?? 1)).slice(0, deps.forksPerRequest);
      deps.limited('forks-per-request');
    }
    forward(rq, targets);
  }

  /** A peer instance routes a request to a flow we own: the Route's user part is our token. */
  function toOwnFlow(rq: SipRequest, target: Target): void {
    if (target.flowId !== undefined && !deps.flows.isLive(target.flowId)) {
      // The connection closed. A WebSocket client is reachable only over it (RFC 7118 §5, its
      // Contact host is *.invalid): 430 Flow Failed (RFC 5626 §5.3). Over TCP/TLS the
      // Request-URI (the binding's Contact) may still be reachable: try it.
      if (target.protocol === 'WS' || target.protocol === 'WSS') respond(rq, 430);
      else forward(rq);
      return;
    }
    forward(rq, [{ target }]);
  }

  async function route(rq: SipRequest, remote: Remote, arrival: Arrival): Promise<void> {
    const peer = arrival.routedToUs && arrival.routeUser !== undefined ? deps.flows.targetOfToken(arrival.routeUser) : undefined;
    const inDialog = toTag(rq) !== '';
    const dialog = inDialog && arrival.dialogToken !== undefined && deps.dialogs.verify(rq, arrival.dialogToken);
    if (rq.method === 'ACK') {
      // ACK for a 2xx (RFC 3261 §16.7): stateless, and only within a dialog we record-routed.
      if (peer !== undefined) {
        deps.proxy().send(rq, { target: peer });
        return;
      }
      if (!dialog) {
        deps.trust('ack-dropped');
        deps.log.debug({ from: remote.address, callId: rq.headers['call-id'] }, 'ACK outside a dialog we record-routed: dropped');
        return;
      }
      const flow = flowOfDialog(rq);
      deps.proxy().send(rq, flow !== undefined ? { target: flow } : {});
      return;
    }
    if (deps.draining()) {
      respond(rq, 503, { 'retry-after': '5' });
      return;
    }
    if (peer !== undefined) {
      toOwnFlow(rq, peer); // from a peer instance: inside the trust domain
      return;
    }
    if (removeIdentity(rq)) deps.trust('identity-removed');
    if (rq.method === 'REGISTER' && deps.domains.isLocal(rq.uri)) {
      if (!deps.limiter.take(remote.address, deps.now())) {
        deps.rejected('rate-limit');
        respond(rq, 503, { 'retry-after': '1' });
        return;
      }
      deps.proxy().send(await register(rq, remote, deps.registrar));
      return;
    }
    if (dialog) {
      // In-dialog (RFC 3261 §16.4, §12.2): follow the Route we put there with Record-Route.
      const flow = flowOfDialog(rq);
      forward(rq, flow !== undefined ? [{ target: flow }] : undefined);
      return;
    }
    if (inDialog) deps.trust('dialog-token-invalid'); // not provably ours: out-of-dialog rules
    const local = deps.domains.aorOf(rq.uri);
    if (local === undefined && deps.domains.isLocal(rq.uri) && rq.headers.route === undefined) {
      // Addressed to the server itself (no user part): answered here, nothing is forwarded.
      if (rq.method === 'OPTIONS') respond(rq, 200, { allow: ALLOW, accept: 'application/sdp', supported: 'path, outbound' });
      else respond(rq, 404);
      return;
    }
    const caller = await authenticate(rq, remote);
    if (caller === undefined) return;
    if (local !== undefined) {
      await toLocalUser(rq, local, caller.verified);
      return;
    }
    // Another domain (RFC 3263 forwarding), or a pre-loaded Route beyond us: only for local
    // users, and only when configured; otherwise refused (no open relay).
    if (deps.otherDomains === 'forward' && caller.user !== undefined && (caller.verified || !deps.authRequests)) {
      forward(rq);
      return;
    }
    respond(rq, 403);
  }

  return (rq, remote, arrival) => {
    route(rq, remote, arrival).catch((e: unknown) => {
      deps.log.error({ err: e, method: rq.method }, 'routing failed: answering 500');
      if (rq.method === 'ACK') return;
      try {
        const rs: SipResponse = makeResponse(rq, 500, undefined, { toTag: generateTag(), headers: { 'retry-after': '5' } });
        deps.proxy().send(rs);
      } catch (err) {
        deps.log.error({ err }, 'could not answer 500');
      }
    });
  };
}
