/**
 * The proxy core on a stack instance (RFC 3261 §16): validation, route processing, contexts bound
 * by the top Via (the classic `proxy.send` contract), forwarding with Via, Max-Forwards and
 * Record-Route, stateless forwarding of ACKs and stray responses, and the stateless mode.
 * @see RFC 3261 §16
 */
import { isResponse, isSipUri, makeResponse, shareMessage, SipError, type RouteEntry, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { createDefaultClock, KeyMap, type ServerTransactionHandle } from '@sipts/transaction';
import { generateTag, silentLogger, type Remote, type Target } from '@sipts/transport';
import { nextHopUri, OwnAddresses, protocolOfUri } from './addresses.js';
import { LateBranches, ProxyContext, stripVia, toForwardTarget, type ContextHost } from './context.js';
import { loopHash, proxyBranch } from './loop.js';
import { processRoutes } from './route.js';
import type { ForwardTarget, Proxy, ProxyOptions, ProxySendOptions, ProxyStack, ProxyRequestHandler } from './types.js';
import { maxForwards, validateRequest, type ValidationContext } from './validate.js';

/** Methods that create dialogs: the ones that get a Record-Route (§16.6 item 4). */
const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

/**
 * The context key of a message: top Via branch and sent-by, Call-ID and CSeq number (as the
 * classic proxy module binds requests and responses to contexts).
 */
function contextKey(message: SipMessage): string | undefined {
  const via = message.headers.via?.[0];
  if (via === undefined) return undefined;
  return `${String(via.params.branch)}|${via.host.toLowerCase()}|${String(via.port)}|${message.headers['call-id'] ?? ''}|${String(message.headers.cseq?.seq ?? '')}`;
}

/** A Record-Route entry with `extra` URI parameters (before `lr`, which stays last). */
function withParams(entry: RouteEntry, extra: Record<string, string> | undefined): RouteEntry {
  const uri = typeof entry.uri === 'string' ? undefined : entry.uri;
  if (extra === undefined || !isSipUri(uri)) return entry;
  const { lr, ...rest } = uri.params;
  return { ...entry, uri: { ...uri, params: { ...rest, ...extra, lr: lr ?? null } } };
}

/**
 * Where a request handed to the route callback for a stateless forward came from. A class, not a
 * literal: V8 moved the literal's objects (one per forwarded ACK, each living as long as its
 * request) to the old generation for good under load, and each dead one then kept its request's
 * arrival alive through young collections until the next full one (bench/BUDGET.md, eighth pass).
 */
class Origin {
  constructor(
    readonly loop: string,
    readonly remote: Remote,
  ) {}
}

function hasToTag(request: SipRequest): boolean {
  const t = request.headers.to?.params.tag;
  return typeof t === 'string' && t !== '';
}

/**
 * Creates a proxy core on `stack` and takes over its request handler. For ACKs of 2xx and
 * responses that match no transaction, wire the stack's `onAck` and `onStrayResponse` to
 * {@link Proxy.receiveAck} and {@link Proxy.receiveStrayResponse} (`createProxyStack` in
 * `@sipts/proxy/node` does).
 * @example
 * const proxy = createProxy(stack, { recordRoute: true }, (rq) => {
 *   if (rq.headers.to?.params.tag) return proxy.send(rq); // in-dialog: follow the Route
 *   proxy.send(rq, { targets: lookup(rq.uri), mode: 'parallel' });
 * });
 * @see RFC 3261 §16
 */
export function createProxy(stack: ProxyStack, options: ProxyOptions, route: ProxyRequestHandler): Proxy {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? createDefaultClock();
  const stateless = options.stateless === true;
  const own = new OwnAddresses(() => stack.transport.listening, options.aliases ?? [], options.recordRouteHost);
  const supported = new Set((options.supported ?? []).map((t) => t.toLowerCase()));
  // Not a `Map`: its churn (a context per proxied request) kept ended contexts alive through young
  // collections (see `KeyMap` in @sipts/transaction).
  const contexts = new KeyMap<ProxyContext>();
  /** Made once; `loop` is set for each request just before it is validated (synchronously). */
  const validation: ValidationContext = {
    loop: '',
    isOwnVia: (v) => own.isOwnVia(v),
    supported,
    answerOptions: options.answerOptions ?? true,
    ...(options.maxSpirals !== undefined ? { maxSpirals: options.maxSpirals } : {}),
  };
  /** The loop hash and arrival side of the copies handed to the route callback (no state kept: weak). */
  const origins = new WeakMap<SipRequest, Origin>();
  let stopped = false;

  function logFailure(what: string): (e: unknown) => void {
    return (e) => {
      logger.info(`could not send ${what}`, { error: e });
    };
  }
  // Made once: the forwarding path creates no closure per message.
  const failedResponse = logFailure('a response');
  const failedAck = logFailure('an ACK statelessly');
  const failedStray = logFailure('a stray response');

  /**
   * Steps 1–8 of §16.6 on a copy that shares every header it does not change with `request`
   * (so they go out as the bytes that came in): Request-URI, Max-Forwards, Route (a branch's
   * Path), Record-Route and Via are new values of this copy only, never changes in place, so
   * the branches of a fork do not see each other's writes.
   */
  function prepare(request: SipRequest, target: ForwardTarget | undefined, inbound: Remote | undefined, loop: string, deterministic: boolean): SipRequest {
    const out = shareMessage(request);
    if (target?.uri !== undefined) out.uri = target.uri;
    if (target?.route !== undefined && target.route.length > 0) out.headers.route = [...target.route.map((r) => ({ ...r, params: { ...r.params } })), ...(out.headers.route ?? [])];
    const mf = maxForwards(request);
    out.headers['max-forwards'] = String(mf === undefined ? 70 : Math.max(0, mf - 1));
    const outbound = protocolOfUri(nextHopUri(out), target?.target);
    if (options.recordRoute === true && inbound !== undefined && DIALOG_METHODS.has(out.method) && !hasToTag(out)) {
      const extra = options.recordRouteParams?.(out);
      const mine = [withParams(own.recordRoute(outbound), extra)];
      // Bridging transports (UDP↔TCP/WS): a second entry for the inbound side (RFC 5658 double Record-Route).
      if (inbound.protocol !== outbound) mine.push(withParams(own.recordRoute(inbound.protocol), extra));
      out.headers['record-route'] = [...mine, ...(out.headers['record-route'] ?? [])];
    }
    const branch = deterministic ? proxyBranch(loop, request) : proxyBranch(loop);
    out.headers.via = [{ version: '2.0', protocol: outbound, host: '', port: undefined, params: { branch } }, ...(out.headers.via ?? [])];
    return out;
  }

  function respondLate(response: SipResponse): void {
    stack.respond(response).catch(logFailure('a late response'));
  }

  const host: ContextHost = {
    clock,
    logger,
    timerC: options.timerC ?? 181_000,
    contextTimeout: options.contextTimeout ?? 32_000,
    sendBranch(ctx, request, target, branch) {
      const out = prepare(request, target, ctx.remote, ctx.loop, false);
      const fixed: Target | undefined = target?.target;
      // Only an INVITE branch is ever cancelled (§16.10): the handle does it, no AbortController.
      branch.request = out;
      const handle = stack.send(out, fixed === undefined ? { onResponse: branch.onResponse } : { onResponse: branch.onResponse, target: fixed });
      return out.method === 'INVITE' ? handle : undefined;
    },
    respondLate,
    ended(ctx) {
      if (contexts.get(ctx.key) === ctx) contexts.delete(ctx.key);
    },
    late: new LateBranches(logger, respondLate),
  };

  function reject(request: SipRequest, st: ServerTransactionHandle | undefined, remote: Remote, status: number, headers?: SipRequest['headers']): void {
    const rs = makeResponse(request, status, undefined, { toTag: generateTag(), ...(headers !== undefined ? { headers } : {}) });
    if (st !== undefined) st.respond(rs).catch(logFailure(`a ${String(status)}`));
    else stack.sendStateless(rs, remote).catch(logFailure(`a ${String(status)}`));
  }

  /**
   * Validation and route processing: the request after §16.4 (sharing the header values of the
   * one received) and the Route entries of ours removed, or undefined when answered.
   */
  function admit(request: SipRequest, st: ServerTransactionHandle | undefined, remote: Remote): { work: SipRequest; loop: string; removed: RouteEntry[] } | undefined {
    const loop = loopHash(request);
    validation.loop = loop;
    const rejection = validateRequest(request, validation);
    if (rejection !== undefined) {
      logger.debug('request rejected', { method: request.method, status: rejection.status });
      if (request.method !== 'ACK') reject(request, st, remote, rejection.status, rejection.headers);
      return undefined;
    }
    // §16.4 writes only the Request-URI and Route: with no Route there is nothing to write, and
    // the request as received (which nothing else changes) serves as it is.
    const routes = request.headers.route;
    if (routes === undefined || routes.length === 0) return { work: request, loop, removed: [] };
    const work = shareMessage(request);
    const removed = processRoutes(work, own);
    return { work, loop, removed };
  }

  /**
   * The route callback gets a copy of its own (new headers object, Via and Route arrays). Only a
   * request that will be forwarded statelessly (an ACK, or any request in stateless mode) needs
   * its loop hash and arrival remembered: a stateful one has its context (no WeakMap entry each).
   */
  function handOver(admitted: { work: SipRequest; loop: string; removed: RouteEntry[] }, remote: Remote): void {
    const copy = shareMessage(admitted.work);
    if (stateless || copy.method === 'ACK') origins.set(copy, new Origin(admitted.loop, remote));
    route(copy, remote, admitted.removed);
  }

  stack.setRequestHandler((request, st, remote) => {
    if (stopped) {
      reject(request, st, remote, 503);
      return;
    }
    if (stateless) st.terminate(); // §16.11: no transaction state
    const admitted = admit(request, stateless ? undefined : st, remote);
    if (admitted === undefined) return;
    const { work, loop } = admitted;
    if (stateless) {
      handOver(admitted, remote);
      return;
    }
    const key = contextKey(work) ?? '';
    contexts.get(key)?.end();
    const ctx = new ProxyContext(host, { key, request: work, st, remote, loop });
    contexts.set(key, ctx);
    st.onCancel = () => {
      ctx.cancel();
    };
    try {
      handOver(admitted, remote);
    } catch (e) {
      ctx.end();
      throw e;
    }
  });

  /** Forwarding with no transaction (ACK for 2xx, stateless mode): one target. */
  function forwardStateless(request: SipRequest, target: ForwardTarget | undefined): void {
    const origin = origins.get(request);
    const out = prepare(request, target, stateless ? origin?.remote : undefined, origin?.loop ?? loopHash(request), true);
    stack.sendAck(out, target?.target !== undefined ? { target: target.target } : {}).catch(out.method === 'ACK' ? failedAck : logFailure(`a ${out.method} statelessly`));
  }

  function sendResponse(response: SipResponse): void {
    const key = contextKey(response);
    const ctx = key === undefined ? undefined : contexts.get(key);
    if (ctx !== undefined) {
      ctx.respond(response);
      return;
    }
    if (stateless) stack.sendStateless(response).catch(failedResponse);
    else stack.respond(response).catch(failedResponse);
  }

  return {
    send(message, opts) {
      if (message.headers.via === undefined || message.headers.via.length === 0) {
        throw new SipError('invalid-argument', 'a message sent through the proxy needs a Via');
      }
      const o: ProxySendOptions = typeof opts === 'function' ? { callback: opts } : (opts ?? {});
      if (isResponse(message)) {
        sendResponse(message);
        return;
      }
      const request = message;
      const targets = (o.targets ?? []).map(toForwardTarget);
      if (o.target !== undefined) {
        if (targets.length === 0) targets.push({ target: o.target });
        else for (const t of targets) t.target ??= o.target;
      }
      if (request.method === 'ACK' || stateless) {
        if (targets.length > 1) logger.warn('a stateless forward takes one target: the first is used');
        forwardStateless(request, targets[0]);
        return;
      }
      const key = contextKey(request);
      const ctx = key === undefined ? undefined : contexts.get(key);
      if (ctx === undefined) {
        // Not in a context: a new request of the proxy's own (the classic plain `sip.send`).
        const cb = o.callback;
        void stack.send(request, { ...(cb !== undefined ? { onResponse: cb } : {}), ...(o.target !== undefined ? { target: o.target } : {}) }).final;
        return;
      }
      ctx.forward(request, targets, o.mode ?? 'parallel', o.callback);
    },
    receiveAck(ack, remote) {
      if (stopped) return;
      const admitted = admit(ack, undefined, remote);
      if (admitted === undefined) return;
      handOver(admitted, remote);
    },
    receiveStrayResponse(response, remote) {
      if (stopped) return;
      const top = response.headers.via?.[0];
      if (top === undefined || !own.isOwnVia(top)) {
        logger.debug('dropped a stray response not sent by us', { status: response.status, from: remote.address });
        return;
      }
      const up = stripVia(response);
      if (up === undefined) return;
      // §16.7, §16.11: forwarded statelessly by its next Via (2xx retransmissions after the transaction ended).
      stack.sendStateless(up).catch(failedStray);
    },
    get contexts() {
      return contexts.size;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const ctx of contexts.values()) ctx.end();
      contexts.clear();
    },
  };
}
