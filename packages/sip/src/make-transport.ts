/**
 * The classic (undocumented) `sip.makeTransport`: the transport layer without transactions, for
 * stateless servers, over `createTransportLayer`.
 * @see RFC 3261 §18
 */
import type { SipMessage } from '@sipts/message';
import { safely, silentLogger } from '@sipts/transport';
import { createTransportLayer } from '@sipts/transport/node';
import type { Remote, Target, TransportLayer } from './layers.js';
import { toStackOptions, type ClassicOptions } from './options.js';

/** A classic connection handle: send on it, release it. */
export interface ClassicConnection {
  /** Sends a request (its top Via is stamped) or a response (RFC 3261 §18.2.2). */
  send(message: SipMessage): void;
  release(): void;
  readonly protocol: string;
  /** The peer's address and port (the classic connections had none; `makeTransport`'s have them). */
  readonly address?: string;
  readonly port?: number;
  /** The local side, when known (a connection a request came in on). */
  readonly local?: { address: string; port: number };
}

/** What `makeTransport` returns. */
export interface ClassicTransport {
  open(target: Target | Remote, onError?: (error: unknown) => void): ClassicConnection;
  get(target: Target | Remote, onError?: (error: unknown) => void): ClassicConnection | undefined;
  send(target: Target | Remote, message: SipMessage): void;
  /** Closes every socket and connection; resolves when done. */
  destroy(): Promise<void>;
  /** Resolves when every transport is bound. */
  readonly ready: Promise<void>;
  /** The underlying transport layer (new API). */
  readonly layer: TransportLayer;
}

/**
 * Starts a transport layer and calls `onMessage(message, remote)` with every request and
 * response that arrives (malformed requests are answered 400 by the layer itself).
 * @example
 * const t = makeTransport({ port: 5060 }, (m, remote) => { if (m.method) t.send(remote, makeResponse(m, 200)); });
 */
export function makeTransport(options: ClassicOptions, onMessage: (message: SipMessage, remote: Remote) => void): ClassicTransport {
  const o = toStackOptions(options);
  const logger = o.logger ?? silentLogger;
  const deliver = (m: SipMessage, remote: Remote): void => {
    safely(logger, 'makeTransport callback', () => {
      onMessage(m, remote);
    });
  };
  const layer = createTransportLayer(o, { onRequest: deliver, onResponse: deliver });
  let stopping: Promise<void> | undefined;
  const ready = layer.start();
  ready.catch((e: unknown) => {
    logger.error('the transport could not start', { error: e });
  });
  function open(target: Target | Remote, onError?: (error: unknown) => void): ClassicConnection {
    const fail = (e: unknown): void => {
      if (onError !== undefined) onError(e);
      else logger.error('send failed', { error: e });
    };
    return {
      protocol: target.protocol,
      address: target.address,
      port: target.port,
      ...('local' in target ? { local: target.local } : {}),
      release() {},
      send(m) {
        const p = ready.then(() => (m.method !== undefined ? layer.sendRequest(m, target) : layer.sendResponse(m, 'local' in target ? target : undefined)));
        p.catch(fail);
      },
    };
  }
  return {
    open,
    get: open,
    send(target, m) {
      open(target).send(m);
    },
    destroy() {
      stopping ??= ready.catch(() => undefined).then(() => layer.stop());
      return stopping;
    },
    ready,
    layer,
  };
}

