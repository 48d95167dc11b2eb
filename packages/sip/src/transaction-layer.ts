/**
 * The classic (undocumented) `sip.makeTransactionLayer(options, transportOpen)`, over
 * `createTransactionLayer`: transactions on connections that the caller opens with its own
 * transport (`makeTransport().open`), and `transportOpen` to open a new one when a transaction's
 * connection is gone. What differs from the classic shape is in the README.
 * @see RFC 3261 §17, §18.2.2
 */
import { parseCSeq, SipError, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';
import { generateBranch, promisePort, responseTarget, silentLogger } from '@sipts/transport';
import { createTransactionLayer, type ServerTransactionHandle } from '@sipts/transaction';
import type { Remote, Target, TransportProtocol } from './layers.js';
import { toLayerLogger, type ClassicLogger } from './logger.js';
import type { ClassicConnection } from './make-transport.js';

/** A classic server transaction: answer through `send`; `message` feeds it a retransmission; `shutdown` ends it silently. */
export interface ClassicServerTransaction {
  send(response: SipResponse): void;
  message(request: SipMessage): void;
  shutdown(): void;
}

/** The classic `transportOpen` (`makeTransport().open`): a connection to a target, errors to `onError`. */
export type TransportOpen = (target: Target, onError?: (error: unknown) => void) => ClassicConnection;

/** A classic client transaction: `message` feeds it a response; `shutdown` ends it silently. */
export interface ClassicClientTransaction {
  message(response: SipMessage): void;
  shutdown(): void;
}

/** What `makeTransactionLayer` returns. */
export interface ClassicTransactionLayer {
  createServerTransaction(request: SipRequest, connection: ClassicConnection): ClassicServerTransaction;
  createClientTransaction(connection: ClassicConnection, request: SipRequest, callback: (response: SipResponse) => void): ClassicClientTransaction;
  getServer(message: SipMessage): ClassicServerTransaction | undefined;
  getClient(message: SipMessage): ClassicClientTransaction | undefined;
  destroy(): void;
}

/** The classic transaction id: CSeq method (INVITE for an ACK), Call-ID, top Via branch. */
function classicId(m: SipMessage): string | undefined {
  const cseq = m.headers.cseq;
  const branch = m.headers.via?.[0]?.params.branch;
  if (cseq === undefined || typeof branch !== 'string') return undefined;
  const method = m.method === 'ACK' ? 'INVITE' : m.method ?? cseq.method;
  return [method, m.headers['call-id'] ?? '', branch].join();
}

function protocolOf(connection: ClassicConnection): TransportProtocol {
  const p = connection.protocol.toUpperCase();
  return (['UDP', 'TCP', 'TLS', 'WS', 'WSS'] as const).find((x) => x === p) ?? 'UDP';
}

const NOWHERE = { address: '0.0.0.0', port: 0 };

/**
 * Creates a transaction layer that sends on classic connections (`{send, release, protocol}`).
 * Timers follow RFC 3261 (T1 500 ms, T2 4 s, T4 5 s; no retransmission on reliable transports).
 * A transaction sends on the connection it was created with; when that connection is gone (it
 * throws on send, or was released with its transaction), `transportOpen` opens a new one: for a
 * response to `received` (else the sent-by host) and the sent-by port (RFC 3261 §18.2.2), for a
 * request (a CANCEL, an ACK) to its target. Without `transportOpen` such a send fails (503).
 * @example
 * const layer = makeTransactionLayer({}, transport.open);
 * layer.createClientTransaction(transport.open(target), rq, (rs) => log(rs.status));
 * @see RFC 3261 §17, §18.2.2
 */
export function makeTransactionLayer(options: { logger?: ClassicLogger } = {}, transportOpen?: TransportOpen): ClassicTransactionLayer {
  const logger = toLayerLogger(options.logger) ?? silentLogger;
  const connections = new Map<string, ClassicConnection>();
  let next = 0;
  /** The remote of a connection: the peer it names (classic connections may not say: then unknown). */
  const register = (c: ClassicConnection): Remote => {
    const flowId = `classic/${String(next++)}`;
    connections.set(flowId, c);
    return { protocol: protocolOf(c), address: c.address ?? NOWHERE.address, port: c.port ?? NOWHERE.port, local: c.local ?? { ...NOWHERE }, flowId };
  };
  /** A new connection for a transaction whose own is gone (see above). */
  const reopen = (flowId: string | undefined, m: SipMessage, where: Remote | Target): ClassicConnection => {
    if (transportOpen === undefined) throw new SipError('send-failed', 'the transaction’s connection is gone and there is no transportOpen', { status: 503 });
    const to = m.method === undefined ? responseTarget(m, 'local' in where ? where : undefined, { symmetric: false }) : where;
    const c = transportOpen({ protocol: to.protocol, address: to.address, port: to.port }, (e) => {
      logger.info('a connection opened for a transaction failed', { error: e });
    });
    if (flowId !== undefined) connections.set(flowId, c);
    return c;
  };
  const sendOn = (flowId: string | undefined, m: SipMessage, where: Remote | Target): Promise<Remote> => {
    const sent: Remote = 'local' in where ? where : { ...where, local: { ...NOWHERE } };
    try {
      const c = flowId === undefined ? undefined : connections.get(flowId);
      if (c !== undefined) {
        try {
          c.send(m);
          return Promise.resolve(sent);
        } catch (e) {
          logger.debug('a transaction’s connection failed: opening a new one', { error: e });
        }
      }
      reopen(flowId, m, where).send(m);
      return Promise.resolve(sent);
    } catch (e) {
      return Promise.reject(e instanceof SipError ? e : new SipError('send-failed', 'could not send on a new connection', { status: 503, cause: e }));
    }
  };
  /** The server transaction each accepted request created, found again by the request itself. */
  const created = new WeakMap<SipRequest, ServerTransactionHandle>();
  const layer = createTransactionLayer({
    transport: promisePort({
      sendRequest: (rq, target) => sendOn(target.flowId, rq, target),
      sendResponse: (rs, remote) => (remote === undefined ? Promise.reject(new SipError('send-failed', 'no connection to answer on', { status: 503 })) : sendOn(remote.flowId, rs, remote)),
    }),
    logger,
    trying100: false,
    onServerTransaction(rq, st) {
      created.set(rq, st);
    },
  });
  const servers = new Map<string, ClassicServerTransaction & { st: ServerTransactionHandle }>();
  const clients = new Map<string, ClassicClientTransaction>();

  return {
    createServerTransaction(rq, connection) {
      const remote = register(connection);
      layer.handlers.onRequest(rq, remote);
      const st = created.get(rq);
      created.delete(rq);
      if (st === undefined) throw new SipError('invalid-argument', 'the request was not accepted (missing mandatory headers, or a retransmission)');
      const id = classicId(rq);
      const t = {
        st,
        send(rs: SipResponse) {
          st.respond(rs).catch(() => undefined);
        },
        message(m: SipMessage) {
          if (m.method !== undefined) layer.handlers.onRequest(m, remote);
        },
        shutdown() {
          st.terminate();
          connections.delete(remote.flowId as string);
          connection.release();
        },
      };
      if (id !== undefined) servers.set(id, t);
      return t;
    },
    createClientTransaction(connection, rq, callback) {
      const remote = register(connection);
      if (typeof rq.headers.cseq === 'string') rq.headers.cseq = parseCSeq(rq.headers.cseq);
      const top = rq.headers.via?.[0];
      if (top !== undefined && rq.method !== 'CANCEL') top.params.branch = generateBranch();
      const id = classicId(rq);
      const target: Target = { protocol: remote.protocol, address: remote.address, port: remote.port, flowId: remote.flowId as string };
      const out = layer.sendRequest(rq, [target], {
        onResponse: (rs) => {
          callback(rs);
        },
        onTerminated: () => {
          if (id !== undefined && clients.get(id) === t) clients.delete(id);
          connections.delete(target.flowId as string);
          connection.release();
        },
      });
      const t: ClassicClientTransaction = {
        message(m) {
          if (m.status !== undefined) layer.handlers.onResponse(m, remote);
        },
        shutdown() {
          out.terminate();
        },
      };
      if (id !== undefined) clients.set(id, t);
      return t;
    },
    getServer(m) {
      const id = classicId(m);
      const t = id === undefined ? undefined : servers.get(id);
      if (t !== undefined && t.st.state === 'terminated') {
        servers.delete(id as string);
        return undefined;
      }
      return t;
    },
    getClient(m) {
      const id = classicId(m);
      return id === undefined ? undefined : clients.get(id);
    },
    destroy() {
      layer.stop();
      servers.clear();
      clients.clear();
      connections.clear();
    },
  };
}
