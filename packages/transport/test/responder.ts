/**
 * A minimal stateless UAS for the interop and abuse tests, built only on `createTransportLayer` and
 * @sipts/message: OPTIONS → 200; INVITE → 180 then 200 (To tag, Contact, a small SDP body);
 * ACK → nothing; BYE and CANCEL → 200; anything else → 501. No dialogs, no transactions: the
 * To tag is derived from the Call-ID and From tag, so a retransmitted INVITE gets the same one.
 * @see RFC 3261 §8.2, §13.3.1, §18
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote, TransportStats } from '../src/index.js';
import { createTransportLayer, type TransportLayer, type TransportOptions } from '../src/node/index.js';

/** A started responder. */
export interface Responder {
  readonly layer: TransportLayer;
  readonly stats: TransportStats;
  /** Requests answered (or, for ACK, received), by method. */
  readonly seen: Map<string, number>;
  /** Responses that could not be sent. */
  readonly sendFailures: number;
  /** The port the responder listens on for `protocol`. */
  port(protocol: 'UDP' | 'TCP' | 'TLS'): number;
  stop(): Promise<void>;
}

/** A deterministic To tag for a dialog: FNV-1a over the Call-ID and the From tag, in hex. */
export function toTagFor(rq: SipRequest): string {
  const key = `${rq.headers['call-id'] ?? ''}|${String(rq.headers.from?.params.tag ?? '')}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 'r' + h.toString(16).padStart(8, '0');
}

function hostOf(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function sdp(address: string): string {
  const v6 = address.includes(':');
  const c = `IN ${v6 ? 'IP6' : 'IP4'} ${address}`;
  return ['v=0', `o=sipts 1 1 ${c}`, 's=-', `c=${c}`, 't=0 0', 'm=audio 6000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
}

/** The responses the responder sends for `rq` received from `remote` (none for ACK). */
export function responsesFor(rq: SipRequest, remote: Remote): SipResponse[] {
  const toTag = toTagFor(rq);
  switch (rq.method) {
    case 'ACK':
      return [];
    case 'OPTIONS':
    case 'BYE':
    case 'CANCEL':
      return [makeResponse(rq, 200, undefined, { toTag })];
    case 'INVITE': {
      const transport = remote.protocol === 'UDP' ? '' : `;transport=${remote.protocol.toLowerCase()}`;
      const contact = { uri: `sip:responder@${hostOf(remote.local.address)}:${String(remote.local.port)}${transport}`, params: {} };
      const ok = makeResponse(rq, 200, undefined, {
        toTag,
        headers: { contact: [contact], 'content-type': 'application/sdp' },
        content: sdp(remote.local.address),
      });
      return [makeResponse(rq, 180, undefined, { toTag }), ok];
    }
    default:
      return [makeResponse(rq, 501, undefined, { toTag })];
  }
}

/**
 * Starts a responder on 127.0.0.1 with ephemeral UDP and TCP ports unless `options` says otherwise.
 * @example const r = await startResponder(); r.port('UDP'); await r.stop();
 */
export async function startResponder(options: TransportOptions = {}): Promise<Responder> {
  const seen = new Map<string, number>();
  let sendFailures = 0;
  const holder: { layer?: TransportLayer } = {};
  const layer = createTransportLayer(
    { address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 }, ...options },
    {
      onRequest(rq, remote) {
        seen.set(rq.method, (seen.get(rq.method) ?? 0) + 1);
        const l = holder.layer;
        if (l === undefined) return;
        // In order: the 180 goes out before the 200 on a connection.
        void responsesFor(rq, remote)
          .reduce<Promise<unknown>>((prev, rs) => prev.then(() => l.sendResponse(rs, remote)), Promise.resolve())
          .catch(() => {
            sendFailures++;
          });
      },
      onResponse() {
        // a UAS sends no requests
      },
    },
  );
  holder.layer = layer;
  await layer.start();
  return {
    layer,
    stats: layer.stats,
    seen,
    get sendFailures() {
      return sendFailures;
    },
    port(protocol) {
      const l = layer.listening.find((x) => x.protocol === protocol);
      if (l === undefined) throw new Error(`the responder does not listen on ${protocol}`);
      return l.port;
    },
    stop: () => layer.stop(),
  };
}
