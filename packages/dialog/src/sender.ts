/**
 * Sending requests for the dialog layer: next hop (RFC 3261 §8.1.2), targets (an outbound proxy, the
 * dialog's connection, or the resolver), one promise per final response, digest retry on 401/407
 * (RFC 3261 §22.2) and AbortSignal to CANCEL.
 * @see RFC 3261 §8.1.2, §8.1.3, §9.1, §22.2
 */
import { isSipUri, parseUri, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { nextHop, synthesize, type OutgoingRequest, type TransactionLayer } from '@sipts/transaction';
import type { Logger, Target, TransportProtocol } from '@sipts/transport';
import type { DigestClient } from '@sipts/digest';

/** Turns a next-hop URI into targets to try in order (RFC 3263). */
export type Resolve = (uri: string) => Promise<Target[]> | Target[];

const PROTOCOLS: Record<string, TransportProtocol> = { udp: 'UDP', tcp: 'TCP', tls: 'TLS', ws: 'WS', wss: 'WSS' };

/**
 * A resolver without DNS (neutral code): a `sip:`/`sips:` URI whose host is an IP address, with its
 * `transport` parameter (default UDP, TLS for sips) and port (default 5060, 5061 for TLS/sips).
 * @example resolveNumeric('sip:bob@127.0.0.1:5070;transport=tcp') // [{ protocol: 'TCP', address: '127.0.0.1', port: 5070 }]
 * @see RFC 3263 §4.1, §4.2 (numeric hosts)
 */
export function resolveNumeric(uriText: string): Target[] {
  const uri = parseUri(uriText);
  if (uri === undefined || !isSipUri(uri)) return [];
  const host = uri.host.replace(/^\[|\]$/g, '');
  if (!/^[\d.]+$/.test(host) && !host.includes(':')) return [];
  const param = uri.params.transport;
  const protocol = (typeof param === 'string' ? PROTOCOLS[param.toLowerCase()] : undefined) ?? (uri.schema === 'sips' ? 'TLS' : 'UDP');
  const port = uri.port ?? (protocol === 'TLS' || protocol === 'WSS' ? 5061 : 5060);
  return [{ protocol, address: host, port }];
}

/** Options of one send. */
export interface SendRequestOptions {
  /** Every response, provisional and final, after digest retries (the challenges are not shown). */
  onResponse?: (response: SipResponse, request: SipRequest) => void;
  signal?: AbortSignal;
  /** Send here (a dialog's connection) instead of resolving the next hop. */
  target?: Target | undefined;
  /** Called with each request actually sent (the digest retry is a new one, with a new CSeq). */
  onSent?: (request: SipRequest) => void;
}

/** What the sender needs. */
export interface SenderContext {
  layer: TransactionLayer;
  resolve: Resolve;
  logger: Logger;
  auth: DigestClient | undefined;
  /** Every request goes here when set (a registrar/proxy the UA is attached to). */
  outboundProxy: Target | undefined;
}

/** The most digest rounds for one request (a stale nonce, then the proxy and the UAS). */
const MAX_AUTH_ROUNDS = 3;

/**
 * Sends `request` and resolves with its final response (real or synthesized: 408, 503, 487); never
 * rejects for SIP outcomes. 401/407 are answered with credentials when the UA has them.
 * @see RFC 3261 §8.1.3, §22.2
 */
export function sendRequest(ctx: SenderContext, request: SipRequest, options: SendRequestOptions = {}): Promise<SipResponse> {
  return new Promise((resolveFinal) => {
    let rounds = 0;
    let current: OutgoingRequest | undefined;
    const signal = options.signal;
    const onAbort = (): void => {
      current?.cancel();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (rs: SipResponse): void => {
      signal?.removeEventListener('abort', onAbort);
      resolveFinal(rs);
    };
    const attempt = (rq: SipRequest): void => {
      if (signal?.aborted === true) {
        finish(synthesize(rq, 487));
        return;
      }
      options.onSent?.(rq);
      let finalSeen = false;
      void targetsFor(ctx, rq, options.target)
        .then((targets) => {
          if (targets.length === 0) throw new SipError('send-failed', `no target for ${nextHop(rq)}`, { status: 503 });
          current = ctx.layer.sendRequest(rq, targets, {
            onResponse(rs) {
              if (rs.status >= 200 && rs.status < 300 && finalSeen) {
                options.onResponse?.(rs, rq); // RFC 6026: forks and retransmissions of 2xx
                return;
              }
              if (finalSeen) return;
              if (rs.status >= 200) finalSeen = true;
              if ((rs.status === 401 || rs.status === 407) && ctx.auth !== undefined && rounds < MAX_AUTH_ROUNDS && signal?.aborted !== true) {
                let next: SipRequest | undefined;
                try {
                  next = ctx.auth.authorize(rq, rs);
                } catch (e) {
                  ctx.logger.info('digest: not retrying', { error: e });
                }
                if (next !== undefined) {
                  rounds++;
                  attempt(next);
                  return;
                }
              }
              options.onResponse?.(rs, rq);
              if (rs.status >= 200) finish(rs);
            },
            onTerminated() {
              if (!finalSeen) finish(synthesize(rq, 503));
            },
          });
        })
        .catch((e: unknown) => {
          ctx.logger.info('could not send', { method: rq.method, error: e });
          finish(synthesize(rq, 503));
        });
    };
    attempt(request);
  });
}

/** Where a request goes: the outbound proxy, the given target, or the resolver's answer for its next hop. */
export async function targetsFor(ctx: SenderContext, request: SipRequest, target?: Target): Promise<Target[]> {
  if (ctx.outboundProxy !== undefined) return [ctx.outboundProxy];
  if (target !== undefined) return [target];
  return ctx.resolve(nextHop(request));
}
