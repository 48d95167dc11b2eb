/**
 * The classic `sip.create(options, onRequest)`: one stack instance with the classic methods, as a
 * thin wrapper over `createStack` (or over a proxy stack, for `@sipts/sip/proxy`).
 * @see docs/CLASSIC-API.md "The instance"
 */
import { hostname as osHostname } from 'node:os';
import { SipError, type SipMessage, type SipRequest, type SipUri, type Uri } from '@sipts/message';
import { safely, silentLogger, unbracket } from '@sipts/transport';
import { createResolver, type SipResolver } from '@sipts/transport/node';
import { createDefaultClock, type TimerHandle } from '@sipts/transaction';
import { createStack, transportsOf } from '@sipts/transaction/node';
import { createFlowCodec, type Flow } from './flow.js';
import type { Remote, Stack, StackOptions, Target, TransportProtocol } from './layers.js';
import { toStackOptions, type ClassicOptions } from './options.js';
import type { Self } from './routing.js';
import { sendRequest, type ResponseCallback, type SendContext } from './send-request.js';
import { createToTags, type ToTags } from './to-tag.js';

/** The classic request handler: every new request (CANCEL and ACK for 2xx included) and where it came from. */
export type RequestHandler = (request: SipRequest, remote: Remote) => void;

/** A stack instance with the classic methods (what `sip.create` returns). */
export interface ClassicInstance {
  /**
   * Sends a request through a client transaction (`callback` gets every response, real or
   * synthesized), an ACK without one, or a response through its server transaction.
   */
  send: (message: SipMessage, callback?: ResponseCallback) => void;
  /** Ends every transaction and closes every socket and connection; resolves when all are closed. */
  destroy: () => Promise<void>;
  /** A URI of this instance whose user part is a protected token naming `flow` (RFC 5626 §5.2). */
  encodeFlowUri: (flow: Flow) => SipUri;
  /** The flow a URI of {@link encodeFlowUri} names, or `undefined`. */
  decodeFlowUri: (uri: string | Uri) => Remote | undefined;
  /** True when `uri` is a valid flow URI of this instance. */
  isFlowUri: (uri: string | Uri) => boolean;
  /** The host of this instance: `publicAddress`, `address`, `hostname`, else `os.hostname()`. */
  hostname: () => string;
  /** Resolves when every transport is bound; rejects (also logged) when one cannot be. */
  readonly ready: Promise<void>;
  /** The underlying stack (new API). */
  readonly stack: Stack;
}

/** How an instance gets its stack: plain (`createStack`) or wired for proxying. */
export interface StackBuilder {
  (options: StackOptions): { stack: Stack; stop(): Promise<void>; ownsRequests: boolean };
}

const plainStack: StackBuilder = (options) => {
  const stack = createStack(options);
  return { stack, stop: () => stack.stop(), ownsRequests: false };
};

/** How {@link createInstance} builds and starts its stack; every part has a default. */
export interface InstanceWiring {
  /** Makes the stack: plain `createStack` by default, or one wired for proxying. */
  build?: StackBuilder;
  /** Binding starts once this settles (a previous module-level instance has closed its ports). */
  after?: Promise<void>;
  /** The To tags of its server transactions (the proxy entry shares them with its builder, which tracks the transactions itself). */
  toTags?: ToTags;
}

/**
 * Creates a classic stack instance and starts binding it (after `wiring.after`, when given).
 * @internal `create` and the proxy entry build on this.
 */
export function createInstance(options: ClassicOptions, onRequest: RequestHandler | undefined, wiring: InstanceWiring = {}): ClassicInstance {
  const { build = plainStack, after, toTags = createToTags() } = wiring;
  const stackOptions = toStackOptions(options);
  const logger = stackOptions.logger ?? silentLogger;
  const protocols = new Set<TransportProtocol>(transportsOf(stackOptions));
  const given = options.resolver;
  // An application's resolver function is used as it is; otherwise the RFC 3263 resolver, whose
  // resolveNow lets a request to a numeric host go out with no Promise.
  const resolver: SipResolver | ((uri: string) => Promise<Target[]>) = given ?? createResolver({ transports: [...protocols], logger });
  const realResolve = typeof resolver === 'function' ? resolver : (uri: string): Promise<Target[]> => resolver.resolve(uri);
  const resolveNow = typeof resolver === 'function' || resolver.resolveNow === undefined ? undefined : resolver.resolveNow.bind(resolver);
  stackOptions.resolver = resolver;
  // One clock for the stack and the facade's own timers (the ring-time limit).
  const clock = stackOptions.clock ?? createDefaultClock();
  stackOptions.clock = clock;
  if (onRequest !== undefined) {
    const userOnAck = stackOptions.onAck;
    stackOptions.onAck = (ack, remote) => {
      if (userOnAck !== undefined) safely(logger, 'onAck', () => { userOnAck(ack, remote); });
      safely(logger, 'onRequest (ACK)', () => { onRequest(ack, remote); });
    };
  }
  const built = build(stackOptions);
  const stack = built.stack;
  if (onRequest !== undefined && !built.ownsRequests) {
    // The stack answers CANCEL itself (200, and 487 to the INVITE, RFC 3261 §9.2); the
    // application still hears of it, as it did with the classic library. One function for all.
    const onCancel = (cancel: SipRequest, r: Remote): void => {
      safely(logger, 'onRequest (CANCEL)', () => { onRequest(cancel, r); });
    };
    stack.setRequestHandler((rq, st, remote) => {
      toTags.track(st);
      st.onCancel = onCancel;
      onRequest(rq, remote);
    });
  }

  const host = options.publicAddress ?? options.address ?? options.hostname ?? osHostname();
  const myHosts = new Set([host, options.publicAddress, options.address, options.hostname].filter((h): h is string => h !== undefined && h !== '').map((h) => unbracket(h).toLowerCase()));
  const self: Self = {
    isMyHost: (h) => {
      const x = unbracket(h).toLowerCase();
      return myHosts.has(x) || stack.transport.listening.some((l) => l.address === x);
    },
    isMyPort: (port, secure) => {
      const p = port ?? (secure ? 5061 : 5060);
      return stack.transport.listening.some((l) => l.port === p);
    },
    flows: createFlowCodec(),
  };
  const timers = new Set<TimerHandle>();
  const ctx: SendContext = {
    stack,
    self,
    logger,
    protocols,
    resolve: realResolve,
    ...(resolveNow !== undefined ? { resolveNow } : {}),
    maxForwards: options['max-forwards'] ?? 70,
    ringTimeLimit: options.ringTimeLimit ?? 600_000,
    clock,
    timers,
    toTags,
  };

  let isReady = false;
  let stopping: Promise<void> | undefined;
  const ready = (after ?? Promise.resolve()).then(async () => {
    if (stopping !== undefined) throw new SipError('invalid-state', 'the stack was stopped before it started');
    await stack.start();
    isReady = true;
  });
  ready.catch((e: unknown) => {
    logger.error('the SIP stack could not start', { error: e });
  });

  /** Why a response the application sent was not (one handler for every response: no closure each). */
  const responseFailed = (e: unknown): void => {
    if (e instanceof SipError && e.code === 'invalid-state') logger.debug('response not sent', { error: e });
    else logger.error('could not send a response', { error: e });
  };

  function sendNow(m: SipMessage, callback?: ResponseCallback): void {
    if (m.method === undefined) {
      // RFC 3261 §8.2.6.2: the To tag a classic app leaves out. The transaction found for it
      // sends the response (RFC 2543 ones included); else the stack matches it (§17.2.3).
      const st = toTags.apply(m, stack);
      (st !== undefined ? st.respond(m) : stack.respond(m)).catch(responseFailed);
      return;
    }
    sendRequest(ctx, m, callback);
  }

  const flows = self.flows;
  const isFlowHost = (u: SipUri): boolean => self.isMyHost(u.host);
  return {
    send: (m, callback) => {
      if (isReady || stopping !== undefined) {
        sendNow(m, callback);
        return;
      }
      ready.then(
        () => {
          sendNow(m, callback);
        },
        () => {
          sendNow(m, callback); // the stopped stack answers requests with a synthesized 503
        },
      );
    },
    destroy: () => {
      stopping ??= (async () => {
        for (const t of timers) clock.clear(t);
        timers.clear();
        toTags.clear();
        await ready.catch(() => undefined);
        await built.stop();
      })();
      return stopping;
    },
    encodeFlowUri: (flow) => flows.encode(flow, host),
    decodeFlowUri: (uri) => flows.decode(uri, isFlowHost),
    isFlowUri: (uri) => flows.decode(uri, isFlowHost) !== undefined,
    hostname: () => host,
    ready,
    stack,
  };
}

/**
 * The classic `sip.create`: a stack instance of its own (several per process work side by side).
 * Binding starts at once; `ready` tells when it is done.
 * @example
 * const sip = create({ port: 5070 }, (rq) => sip.send(makeResponse(rq, 200)));
 * await sip.ready;
 * @see docs/CLASSIC-API.md "The instance"
 */
export function create(options: ClassicOptions = {}, onRequest?: RequestHandler): ClassicInstance {
  return createInstance(options, onRequest);
}
