/**
 * A fake server for the user agent's unit tests: a transport that hands every message to a
 * registrar-and-proxy written with the real digest server, over a serialize/parse round trip.
 */
import { createDigestServer, type DigestServer } from '@sipts/digest';
import { makeResponse, parseMessage, serializeMessage, SipError, isRequest, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote, TransportHandlers } from '@sipts/transport';
import type { ClientTransport } from '../src/client/user-agent.js';

const REMOTE: Remote = { protocol: 'WS', address: '127.0.0.1', port: 8088, local: { address: '0.0.0.0', port: 0 }, flowId: 'WS/1' };

export interface FakeServerOptions {
  users?: Record<string, string>;
  algorithms?: ('SHA-256' | 'MD5')[];
  /** Add `Supported: outbound` to REGISTER responses. */
  outbound?: boolean;
  /** Flow-Timer (seconds) in the 200 of a REGISTER (RFC 5626 §4.4.1). */
  flowTimer?: number;
  /** Expires granted in the 200 (per contact). Default: what was asked. */
  grant?: number;
  /** Min-Expires: answer 423 below it. */
  minExpires?: number;
  /** Challenge MESSAGEs with 407. */
  authRequests?: boolean;
  /** Answer REGISTER for unknown users 404 instead of 401. */
  unknown404?: boolean;
}

export interface FakeServer {
  connect(url: string, handlers: TransportHandlers): ClientTransport;
  /** Every message the client sent, re-parsed. */
  sent: SipMessage[];
  requests(method: string): SipRequest[];
  /** What the fake's MESSAGE handler answers (default 200). */
  messageStatus: number;
  /** While true, sends fail (the server is unreachable). */
  down: boolean;
  closed: number;
  /** Drops the socket (the client hears onFlowClosed). */
  drop(): void;
  /** Delivers a request from the server to the client. */
  deliver(request: SipRequest): void;
  /** Responses the client sent. */
  responses(): SipResponse[];
  digest: DigestServer;
}

const reparse = (m: SipMessage): SipMessage => parseMessage(serializeMessage(m));

export function createFakeServer(options: FakeServerOptions = {}): FakeServer {
  const users = options.users ?? { alice: 'alice-secret', bob: 'bob-secret' };
  const digest = createDigestServer({ realm: 'localhost', secret: 'fake', algorithms: options.algorithms ?? ['SHA-256', 'MD5'] });
  const proxyDigest = createDigestServer({ realm: 'localhost', secret: 'fake', algorithms: options.algorithms ?? ['SHA-256', 'MD5'], proxy: true });
  let handlers: TransportHandlers | undefined;
  const lookup = ({ username }: { username: string }) => (users[username] === undefined ? undefined : { username, password: users[username] });

  function answer(rq: SipRequest): SipResponse {
    if (rq.method === 'REGISTER') {
      const v = digest.verify(rq, lookup);
      const user = /^sip:([^@]+)@/.exec(rq.headers.to?.uri ?? '')?.[1] ?? '';
      if (options.unknown404 === true && users[user] === undefined) return makeResponse(rq, 404, undefined, { toTag: 't' });
      if (!v.ok) {
        const rs = digest.reject(rq, v);
        if (options.outbound === true) rs.headers.supported = 'outbound, path';
        return rs;
      }
      const asked = Number(rq.headers.expires ?? 3600);
      if (options.minExpires !== undefined && asked > 0 && asked < options.minExpires) {
        return makeResponse(rq, 423, undefined, { toTag: 't', headers: { 'min-expires': String(options.minExpires) } });
      }
      const granted = asked === 0 ? 0 : (options.grant ?? asked);
      const contact = (rq.headers.contact ?? []).map((c) => ({ ...c, params: { ...c.params, expires: String(granted) } }));
      const rs = makeResponse(rq, 200, undefined, { toTag: 't', headers: granted === 0 ? {} : { contact } });
      if (options.outbound === true) rs.headers.supported = 'outbound, path';
      if (options.flowTimer !== undefined) rs.headers['flow-timer'] = String(options.flowTimer);
      return digest.sign(rs, v);
    }
    if (rq.method === 'MESSAGE') {
      if (options.authRequests === true) {
        const v = proxyDigest.verify(rq, lookup);
        if (!v.ok) return proxyDigest.reject(rq, v);
      }
      return makeResponse(rq, server.messageStatus, undefined, { toTag: 't' });
    }
    return makeResponse(rq, 405);
  }

  const server: FakeServer = {
    sent: [],
    messageStatus: 200,
    down: false,
    closed: 0,
    digest,
    requests: (method) => server.sent.filter((m): m is SipRequest => isRequest(m) && m.method === method),
    responses: () => server.sent.filter((m): m is SipResponse => !isRequest(m)),
    connect(_url, h) {
      handlers = h;
      return {
        send(m) {
          if (server.down) return Promise.reject(new SipError('send-failed', 'unreachable', { status: 503 }));
          const copy = reparse(m);
          server.sent.push(copy);
          if (isRequest(copy)) {
            const rs = answer(copy);
            queueMicrotask(() => handlers?.onResponse(reparse(rs) as SipResponse, REMOTE));
          }
          return Promise.resolve();
        },
        close() {
          server.closed++;
          return Promise.resolve();
        },
      };
    },
    drop() {
      handlers?.onFlowClosed?.('WS/1', REMOTE);
    },
    deliver(rq) {
      handlers?.onRequest(reparse(rq) as SipRequest, REMOTE);
    },
  };
  return server;
}

/** Lets queued microtasks and promise chains run (responses are delivered in microtasks). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
