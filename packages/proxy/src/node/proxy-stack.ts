/**
 * A stack wired for proxying: `createStack` with the proxy's ACK and stray-response hooks, and
 * the proxy core on it.
 * @see RFC 3261 §16
 */
import type { ServerTransactionHandle } from '@sipts/transaction';
import { createStack, type Stack, type StackOptions } from '@sipts/transaction/node';
import type { Remote } from '@sipts/transport';
import type { SipRequest } from '@sipts/message';
import { observeRequests } from '../observe-requests.js';
import { createProxy } from '../proxy.js';
import type { Proxy, ProxyOptions, ProxyStack, ProxyRequestHandler } from '../types.js';

/** Options of {@link createProxyStack}: the stack's and the proxy's. */
export interface ProxyStackOptions extends StackOptions, ProxyOptions {
  /**
   * Sees each new server transaction before the proxy core does (e.g. to give the responses an
   * application builds for it one To tag, RFC 3261 §8.2.6.2).
   */
  onServerTransaction?: (st: ServerTransactionHandle, request: SipRequest, remote: Remote) => void;
}

/** A stack and the proxy core that drives it. */
export interface ProxyStackInstance {
  readonly stack: Stack;
  readonly proxy: Proxy;
  /** Binds the transports. @throws SipError `bind-failed` */
  start(): Promise<void>;
  /** Ends every context, transaction and socket. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Creates a stack and a proxy core on it; the downstream 487 of a cancelled INVITE is forwarded
 * (the stack's own 487 is off unless `cancel487` is given), and merged-request detection is off.
 * @example
 * const { proxy, start } = createProxyStack({ udp: { port: 5060 }, recordRoute: true }, (rq) => proxy.send(rq));
 * await start();
 * @see RFC 3261 §16
 */
export function createProxyStack(options: ProxyStackOptions, route: ProxyRequestHandler): ProxyStackInstance {
  const ref: { proxy?: Proxy } = {};
  const aliases = [...(options.aliases ?? []), ...(options.hostname !== undefined ? [options.hostname] : []), ...(options.publicAddress !== undefined ? [options.publicAddress] : [])];
  const stack = createStack({
    cancel487: false,
    // §8.2.2.2 is a UAS rule: a request spiralling back through the proxy repeats From tag,
    // Call-ID and CSeq legitimately; loops are caught by the proxy's own §16.3 check.
    mergedRequests: false,
    ...options,
    onStrayResponse(rs, remote) {
      ref.proxy?.receiveStrayResponse(rs, remote);
      options.onStrayResponse?.(rs, remote);
    },
    onAck(ack, remote) {
      ref.proxy?.receiveAck(ack, remote);
      options.onAck?.(ack, remote);
    },
  });
  const observe = options.onServerTransaction;
  const view: ProxyStack =
    observe === undefined
      ? stack
      : observeRequests(stack, (rq, st, remote) => {
          observe(st, rq, remote);
        });
  const created = createProxy(view, { ...options, aliases, ...(options.clock !== undefined ? { clock: options.clock } : {}) }, route);
  ref.proxy = created;
  return {
    stack,
    proxy: created,
    start: () => stack.start(),
    async stop() {
      created.stop();
      await stack.stop();
    },
  };
}
