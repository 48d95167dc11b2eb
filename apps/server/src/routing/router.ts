/**
 * The route callback of the proxy core: REGISTER to the registrar, requests for local users to
 * their bindings (forked), requests from local users authenticated (407), in-dialog requests
 * along their Route, other domains forwarded or refused, and OPTIONS to the server answered.
 * MESSAGE (RFC 3428) takes the same path as INVITE.
 * @see RFC 3261 §16, RFC 3428 §4
 */
import { makeResponse, stringifyUri, type SipRequest, type SipResponse } from '@sipts/message';
import type { ForwardTarget, Proxy } from '@sipts/proxy';
import { toTag } from '@sipts/transaction';
import { generateTag, type Remote, type Target } from '@sipts/transport';
import type { Logger as PinoLogger } from 'pino';
import type { Authenticator } from '../auth.js';
import type { LocalDomains } from '../domains.js';
import type { FlowTable } from '../flows.js';
import type { RateLimiter } from '../rate-limit.js';
import { register, type RegistrarDeps } from '../registrar/register.js';
import type { LocationStore } from '../store/index.js';
import { targetOfBinding, type TargetContext } from './targets.js';

/** What the transport told us before the proxy core removed our own Route entries. */
export interface Arrival {
  /** The request's top Route named this instance (in-dialog requests, or a peer instance). */
  routedToUs: boolean;
  /** The user part of that Route: a flow token when a peer instance sends us a request for a flow. */
  routeUser: string | undefined;
}

/** The router's collaborators. */
export interface RouterDeps {
  proxy: () => Proxy;
  store: LocationStore;
  auth: Authenticator;
  domains: LocalDomains;
  flows: FlowTable;
  registrar: RegistrarDeps;
  targets: TargetContext;
  limiter: RateLimiter;
  log: PinoLogger;
  now: () => number;
  forking: 'parallel' | 'sequential';
  otherDomains: 'forward' | 'refuse';
  authRequests: boolean;
  /** True while stopping: new requests get 503. */
  draining: () => boolean;
  rejected: (reason: string) => void;
}

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, REFER, INFO, UPDATE, PRACK';

function hasToTag(rq: SipRequest): boolean {
  return toTag(rq) !== '';
}

/**
 * Creates the route callback. It is synchronous for the proxy core; the work (store, auth) is
 * asynchronous and every failure ends in a response (500), never in an unhandled rejection.
 * @example const route = createRouter(deps); proxy = createProxy(stack, options, (rq, remote) => route(rq, remote, arrival))
 */
export function createRouter(deps: RouterDeps): (rq: SipRequest, remote: Remote, arrival: Arrival) => void {
  const respond = (rq: SipRequest, status: number, headers?: SipRequest['headers']): void => {
    deps.proxy().send(makeResponse(rq, status, undefined, { toTag: generateTag(), ...(headers !== undefined ? { headers } : {}) }));
  };
  const forward = (rq: SipRequest, targets?: ForwardTarget[]): void => {
    deps.proxy().send(rq, { ...(targets !== undefined ? { targets } : {}), mode: deps.forking });
  };

  /** The flow an in-dialog request's Request-URI was seen on (a WebSocket contact), if any. */
  const flowOfUri = (rq: SipRequest): Target | undefined => (rq.headers.route === undefined ? deps.flows.contactTarget(stringifyUri(rq.uri)) : undefined);

  /** RFC 3261 §22.3: requests from local users prove who they are (407), then carry no credentials of ours. */
  function authenticate(rq: SipRequest, remote: Remote): boolean {
    if (!deps.authRequests || rq.method === 'ACK' || rq.method === 'CANCEL') return true;
    const from = rq.headers.from === undefined ? undefined : deps.domains.aorOf(rq.headers.from.uri);
    if (from === undefined) return true; // not one of ours: nobody to authenticate against
    const v = deps.auth.verify(rq, from.user, true, remote.address);
    if (!v.ok) {
      deps.proxy().send(deps.auth.reject(rq, from.user, v));
      return false;
    }
    if (v.username !== from.user) {
      respond(rq, 403);
      return false;
    }
    delete rq.headers['proxy-authorization'];
    return true;
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
    const bindings = deps.auth.has(target.user) ? await deps.store.lookup(target.aor, deps.now()) : [];
    const targets = bindings.map((b) => targetOfBinding(b, deps.targets)).filter((t): t is ForwardTarget => t !== undefined);
    if (targets.length === 0) {
      respond(rq, 480);
      return;
    }
    forward(rq, targets);
  }

  async function route(rq: SipRequest, remote: Remote, arrival: Arrival): Promise<void> {
    if (rq.method === 'ACK') {
      // ACK for a 2xx (RFC 3261 §16.7): stateless, along its Route, or to the flow of its target.
      const token = arrival.routeUser === undefined ? undefined : deps.flows.targetOfToken(arrival.routeUser);
      const target = token ?? flowOfUri(rq);
      deps.proxy().send(rq, target !== undefined ? { target } : {});
      return;
    }
    if (deps.draining()) {
      respond(rq, 503, { 'retry-after': '5' });
      return;
    }
    // Remember which flow a client's contact lives on, for requests back to it (RFC 5626 §5.3).
    if (remote.flowId !== undefined) for (const c of rq.headers.contact ?? []) if (c.uri !== '*') deps.flows.rememberContact(c.uri, { protocol: remote.protocol, address: remote.address, port: remote.port, flowId: remote.flowId });

    // A peer instance routes a request to a flow we own: the Route's user part is our token.
    if (arrival.routedToUs && arrival.routeUser !== undefined) {
      const target = deps.flows.targetOfToken(arrival.routeUser);
      if (target !== undefined) {
        if (target.flowId !== undefined && !deps.flows.isLive(target.flowId)) {
          // The connection closed. A WebSocket client is reachable only over it (RFC 7118 §5, its
          // Contact host is *.invalid): 430 Flow Failed (RFC 5626 §5.3). Over TCP/TLS the
          // Request-URI (the binding's Contact) may still be reachable: try it.
          if (target.protocol === 'WS' || target.protocol === 'WSS') respond(rq, 430);
          else forward(rq);
          return;
        }
        forward(rq, [{ target }]);
        return;
      }
    }
    if (rq.method === 'REGISTER' && deps.domains.isLocal(rq.uri)) {
      if (!deps.limiter.take(remote.address, deps.now())) {
        deps.rejected('rate-limit');
        respond(rq, 503, { 'retry-after': '1' });
        return;
      }
      deps.proxy().send(await register(rq, remote, deps.registrar));
      return;
    }
    if (hasToTag(rq)) {
      // In-dialog (RFC 3261 §16.4, §12.2): follow the Route we put there with Record-Route.
      const flow = flowOfUri(rq);
      if (flow !== undefined) {
        forward(rq, [{ target: flow }]);
        return;
      }
      if (arrival.routedToUs) {
        forward(rq);
        return;
      }
    }
    const local = deps.domains.aorOf(rq.uri);
    if (local !== undefined) {
      if (!hasToTag(rq) && !authenticate(rq, remote)) return;
      const fromLocal = rq.headers.from !== undefined && deps.domains.aorOf(rq.headers.from.uri) !== undefined;
      await toLocalUser(rq, local, deps.authRequests && fromLocal && !hasToTag(rq));
      return;
    }
    if (deps.domains.isLocal(rq.uri) && rq.headers.route === undefined) {
      // Addressed to the server itself (no user part).
      if (rq.method === 'OPTIONS') respond(rq, 200, { allow: ALLOW, accept: 'application/sdp', supported: 'path, outbound' });
      else respond(rq, 404);
      return;
    }
    // Another domain (RFC 3263 forwarding), or a pre-loaded Route beyond us: only for local
    // users, and only when configured; otherwise refused (no open relay).
    const fromLocal = rq.headers.from !== undefined && deps.domains.aorOf(rq.headers.from.uri) !== undefined;
    if (deps.otherDomains === 'forward' && fromLocal && !hasToTag(rq)) {
      if (!authenticate(rq, remote)) return;
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
