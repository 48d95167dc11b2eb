/**
 * The Node transport layer's {@link TransportPort}: what goes out at once does so before the call
 * returns (a UDP request within the MTU rule, a UDP response to an address), with no Promise and no
 * closure per message; everything else (connections, names to resolve, the move to TCP) takes the
 * layer's general path and reports to its listener.
 * @see RFC 3261 §18.1.1, §18.2.2
 */
import { SipError, type SipRequest } from '@sipts/message';
import { asSendError, type PreparedResponse, type SendListener, type SendOutcome, type TransportPort } from '../port.js';
import { canonicalIp } from '../receive.js';
import type { Remote, Target, TraceHook, TransportProtocol, TransportStats } from '../types.js';
import { forcesUdp, hasRport } from './sent-by.js';
import type { UdpEndpoint } from './udp.js';

/** The SIP MTU rule: a UDP request larger than this moves to TCP (RFC 3261 §18.1.1). */
export const UDP_MTU_LIMIT = 1300;

/** A response serialized and routed once; `localPort`: answer from the UDP socket the request came to. */
export interface Prepared extends PreparedResponse {
  readonly localPort: number | undefined;
}

/** What the port needs of its transport layer. */
export interface LayerPortContext {
  stats: TransportStats;
  trace: TraceHook | undefined;
  traceSend(bytes: Uint8Array, remote: Remote): void;
  stopped(): boolean;
  udpEnabled(): boolean;
  udpEndpointFor(address: string, preferPort?: number): UdpEndpoint | undefined;
  /** With `reply` (a response), the OS is not asked how it went (`UdpEndpoint.reply`). @throws SipError `send-failed` */
  sendUdp(bytes: Uint8Array, address: string, port: number, preferPort?: number, reply?: boolean): Remote;
  stampAndSerialize(request: SipRequest, protocol: TransportProtocol, to: string, local: { address: string; port: number }, hadRport: boolean): Uint8Array;
  tcpListening(): boolean;
  /** The general (Promise) paths. */
  sendRequestNow(request: SipRequest, target: Target): Promise<Remote>;
  sendPreparedNow(prepared: PreparedResponse): Promise<Remote>;
  prepareResponse(response: Parameters<TransportPort['prepareResponse']>[0], remote?: Remote): Prepared;
}

/** `TCP 192.0.2.1:5060`, `UDP [::1]:5060`. */
export function targetText(target: Target): string {
  return `${target.protocol} ${target.address.includes(':') ? `[${target.address}]` : target.address}:${String(target.port)}`;
}

/**
 * Creates the port of one transport layer.
 * @example const port = createLayerPort({ stats, trace, … }); port.sendResponse(port.prepareResponse(rs, remote))
 */
export function createLayerPort(ctx: LayerPortContext): TransportPort {
  const { stats } = ctx;

  /** Reports a send still under way to its listener, and counts it. */
  function pending(p: Promise<Remote>, listener: SendListener | undefined, what: () => string): 'pending' {
    p.then(
      (r) => {
        stats.messagesSent++;
        listener?.onSent?.(r);
      },
      (e: unknown) => {
        stats.sendErrors++;
        listener?.onSendError(asSendError(e, what()));
      },
    );
    return 'pending';
  }

  function failedNow(e: unknown, what: string): SipError {
    stats.sendErrors++;
    return asSendError(e, what);
  }

  /** A UDP request within the MTU rule goes out now; anything else takes the general path. */
  function sendRequest(request: SipRequest, given: Target, listener?: SendListener): SendOutcome {
    if (given.protocol === 'UDP' && !ctx.stopped()) {
      const address = canonicalIp(given.address);
      const endpoint = ctx.udpEndpointFor(address);
      if (endpoint === undefined) {
        const why = ctx.udpEnabled() ? `no UDP socket can reach ${address} (address family)` : 'UDP is not enabled';
        return failedNow(new SipError('send-failed', why, { status: 503 }), `cannot send ${request.method} to ${targetText(given)}`);
      }
      try {
        const bytes = ctx.stampAndSerialize(request, 'UDP', address, endpoint, hasRport(request));
        if (bytes.length <= UDP_MTU_LIMIT || !ctx.tcpListening() || forcesUdp(request)) {
          endpoint.send(bytes, address, given.port);
          stats.messagesSent++;
          if (ctx.trace?.onSend !== undefined) ctx.traceSend(bytes, { protocol: 'UDP', address, port: given.port, local: { address: endpoint.address, port: endpoint.port } });
          return 'sent';
        }
      } catch (e) {
        return failedNow(e, `cannot send ${request.method} to ${targetText(given)}`);
      }
    }
    return pending(ctx.sendRequestNow(request, given), listener, () => `cannot send ${request.method} to ${targetText(given)}`);
  }

  function sendResponse(prepared: PreparedResponse, listener?: SendListener): SendOutcome {
    const to = prepared.to;
    // UDP to an address (no name to resolve) goes out now.
    if (to.protocol === 'UDP' && to.host === undefined && !ctx.stopped()) {
      try {
        const r = ctx.sendUdp(prepared.bytes, to.address, to.port, (prepared as Partial<Prepared>).localPort, true);
        stats.messagesSent++;
        if (ctx.trace?.onSend !== undefined) ctx.traceSend(prepared.bytes, r);
        return 'sent';
      } catch (e) {
        return failedNow(e, `cannot send a ${String(prepared.status)} response`);
      }
    }
    return pending(ctx.sendPreparedNow(prepared), listener, () => `cannot send a ${String(prepared.status)} response`);
  }

  return { sendRequest, prepareResponse: (response, remote) => ctx.prepareResponse(response, remote), sendResponse };
}
