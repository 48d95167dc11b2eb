/**
 * @sipts/sip/proxy: the classic `sip/proxy` module (`start`, `send`, `stop`) over
 * `@sipts/proxy`'s RFC 3261 §16 proxy core. It drives the same module-level stack as `sip.start`:
 * after `proxy.start`, `sip.send`, `sip.encodeFlowUri` and the rest work on that stack.
 * @packageDocumentation
 */
import { isSipUri, parseUri, SipError, type SipMessage, type Uri } from '@sipts/message';
import type { Proxy, ProxyOptions, ProxySendOptions, ProxyRequestHandler } from '@sipts/proxy';
import { createProxyStack } from '@sipts/proxy/node';
import { targetOfFlow } from './flow.js';
import { createInstance, type ClassicInstance } from './instance.js';
import type { Target } from './layers.js';
import type { ClassicOptions } from './options.js';
import type { ResponseCallback } from './send-request.js';
import { currentSingleton, replaceSingleton } from './singleton.js';
import { createToTags, type ToTags } from './to-tag.js';

export type { ProxyRequestHandler, ProxyOptions } from '@sipts/proxy';
/** @deprecated Renamed {@link ProxyRequestHandler} (one name per signature: the facade's `RequestHandler` takes `(request, remote)`). */
export type RequestHandler = ProxyRequestHandler;

const proxies = new WeakMap<ClassicInstance, { core: Proxy; toTags: ToTags }>();

/**
 * Starts the module's stack with a proxy core; `route(rq, remote)` gets a copy of each incoming
 * request (ACKs for 2xx included; CANCEL is handled by the core). Options are those of
 * `sip.start`, plus the proxy's (`recordRoute`, `timerC`, …). A running stack (from `sip.start`
 * or an earlier `proxy.start`) is stopped first.
 * @example proxy.start({ port: 5060 }, (rq) => proxy.send(rq))
 * @see RFC 3261 §16
 */
export function start(options: ClassicOptions & ProxyOptions = {}, route: ProxyRequestHandler): ClassicInstance {
  let core: Proxy | undefined;
  const toTags = createToTags();
  const instance = replaceSingleton((after) =>
    createInstance(options, undefined, {
      build: (stackOptions) => {
        const ps = createProxyStack(
          {
            ...stackOptions,
            onServerTransaction: (st) => {
              toTags.track(st);
            },
          },
          route,
        );
        core = ps.proxy;
        return { stack: ps.stack, stop: () => ps.stop(), ownsRequests: true };
      },
      after,
      toTags,
    }),
  );
  if (core !== undefined) proxies.set(instance, { core, toTags });
  return instance;
}

/**
 * The last URI text parsed here and its parse: an app that points every request at one next hop
 * (`rq.uri = uas`) has it parsed once, not once per forwarded request. Only read, never changed.
 */
const lastParsed: { text: string | undefined; uri: Uri | undefined } = { text: undefined, uri: undefined };

function parsedUri(uri: string | Uri): Uri | undefined {
  if (typeof uri !== 'string') return uri;
  if (uri !== lastParsed.text) {
    lastParsed.uri = parseUri(uri);
    lastParsed.text = uri;
  }
  return lastParsed.uri;
}

/** A flow of ours named by the top Route (removed) or the Request-URI: the branch's fixed target. */
function flowTargetOf(instance: ClassicInstance, m: SipMessage): Target | undefined {
  if (m.method === undefined) return undefined;
  const route = m.headers.route;
  const top = route?.[0];
  const parsed = parsedUri(top !== undefined ? top.uri : m.uri);
  if (parsed === undefined || !isSipUri(parsed)) return undefined;
  const flow = instance.decodeFlowUri(parsed);
  if (flow === undefined) return undefined;
  if (top !== undefined) {
    route?.shift();
    if (route?.length === 0) delete m.headers.route;
  }
  return targetOfFlow(flow);
}

/** `callback` (a function or in the options), marking every response it gets as the stack's. */
function marked(callback: ResponseCallback | ProxySendOptions | undefined, toTags: ToTags): ProxySendOptions {
  const opts: ProxySendOptions = typeof callback === 'function' ? { callback } : { ...callback };
  const cb = opts.callback;
  if (cb !== undefined) {
    opts.callback = (rs) => {
      toTags.received(rs);
      cb(rs);
    };
  }
  return opts;
}

/**
 * Responds to, or forwards in the context of, an incoming request. Without a callback the proxy
 * picks the best response (RFC 3261 §16.7) and forwards it upstream. A request whose top Route or
 * Request-URI is a flow URI of this stack goes over that flow (RFC 5626 §5.3). A response built
 * here without a To tag gets the one of its server transaction (RFC 3261 §8.2.6.2); a response a
 * callback got is forwarded as it is.
 * @throws SipError `invalid-state` before `start`
 * @example proxy.send(sip.makeResponse(rq, 404, 'Not Found'))
 */
export function send(message: SipMessage, callback?: ResponseCallback | ProxySendOptions): void {
  const instance = currentSingleton();
  if (instance === undefined) throw new SipError('invalid-state', 'call proxy.start() first');
  const wired = proxies.get(instance);
  if (wired === undefined) {
    instance.send(message, typeof callback === 'function' ? callback : callback?.callback);
    return;
  }
  const { core, toTags } = wired;
  if (message.method === undefined) toTags.apply(message, instance.stack);
  const opts = marked(callback, toTags);
  const target = flowTargetOf(instance, message);
  if (target === undefined) {
    core.send(message, opts);
    return;
  }
  // A flow that is gone (RFC 5626 §5.3): the transport refuses the branch with `flow-failed` and
  // the core ends it with 430 Flow Failed, to the callback or upstream.
  core.send(message, { ...opts, target });
}

/**
 * Stops the proxy core and the module's stack (the classic `proxy.stop` was always undefined).
 * @example await proxy.stop()
 */
export function stop(): Promise<void> {
  return currentSingleton()?.destroy() ?? Promise.resolve();
}
