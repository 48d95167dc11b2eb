/**
 * The transaction layer of one stack instance (RFC 3261 §17): its server side (server-side.ts:
 * matching requests, CANCEL §9.2, merged requests §8.2.2.2, the bound on server transactions,
 * stateless responses §18) and its client side (client-side.ts: outgoing requests with failover
 * across targets, RFC 3263 §4.3, and matching responses), wired to one transport and one clock.
 * Neutral: it sends through any `TransportPort` and times with an injected `Clock`.
 * @see RFC 3261 §17, §9, §8.2.2, §18; RFC 3263 §4.3; RFC 6026
 */
import { SipError } from '@sipts/message';
import { sendAwaitable, silentLogger, type TransportHandlers } from '@sipts/transport';
import { ClientSide, ensureBranch } from './client-side.js';
import { DEFAULT_TIMERS } from './clock.js';
import type { TransactionLayer, TransactionLayerOptions, TransactionStats } from './layer-types.js';
import { ServerSide } from './server-side.js';
import { createDefaultClock } from './timer-heap.js';
import type { TransactionContext } from './types.js';

export type { TransactionLayer, TransactionLayerOptions, TransactionStats } from './layer-types.js';

/** Default of {@link TransactionLayerOptions.maxServerTransactions} (its TSDoc says why). */
const DEFAULT_MAX_SERVER_TRANSACTIONS = 1_000_000;

/** The bound on server transactions, checked: NaN would turn it off without a word, as would negatives and fractions. */
function maxServersOf(options: TransactionLayerOptions): number {
  const max = options.maxServerTransactions ?? DEFAULT_MAX_SERVER_TRANSACTIONS;
  if (!(max >= 0) || (max !== Infinity && !Number.isInteger(max))) {
    throw new SipError('invalid-argument', `maxServerTransactions must be a whole number ≥ 0 or Infinity, not ${String(max)}`);
  }
  return max;
}

/**
 * Creates the transaction layer of one stack instance.
 * @throws SipError `invalid-argument` when `maxServerTransactions` is not a whole number ≥ 0 or `Infinity`
 * @example
 * const layer = createTransactionLayer({ transport, clock, onServerTransaction: (rq, st) => void st.respond(makeResponse(rq, 200)) });
 * const transport = createTransportLayer(options, layer.handlers);
 * @see RFC 3261 §17
 */
export function createTransactionLayer(options: TransactionLayerOptions): TransactionLayer {
  const logger = options.logger ?? silentLogger;
  const context: TransactionContext = { transport: options.transport, clock: options.clock ?? createDefaultClock(), timers: { ...DEFAULT_TIMERS, ...options.timers }, logger };
  const stats: TransactionStats = { absorbedResponses: 0, unsupportedUriSchemes: 0, overloadedRequests: 0 };
  const server = new ServerSide({ ...options, context, stats, maxServers: maxServersOf(options) });
  const client = new ClientSide({ ...options, context });
  let stopped = false;

  // Per message: safely()'s contract written inline, so no closure is made for each one.
  const handlers: TransportHandlers = {
    onRequest(request, remote) {
      try {
        server.receiveRequest(request, remote);
      } catch (e) {
        logger.error('the transaction layer (request) threw', { error: e });
      }
    },
    onResponse(response, remote) {
      try {
        client.receiveResponse(response, remote);
      } catch (e) {
        logger.error('the transaction layer (response) threw', { error: e });
      }
    },
  };

  return {
    handlers,
    context,
    sendRequest(request, targets, user) {
      return client.sendRequest(request, targets, user);
    },
    sendAck(ack, target) {
      ensureBranch(ack, target.protocol);
      return sendAwaitable((l) => context.transport.sendRequest(ack, target, l));
    },
    sendStateless(response, remote) {
      return server.sendStateless(response, remote);
    },
    respond(response) {
      return server.respond(response);
    },
    serverTransactionOf(message) {
      return server.serverTransactionOf(message);
    },
    get size() {
      return server.size + client.size;
    },
    stats,
    stop() {
      if (stopped) return;
      stopped = true;
      client.halt();
      server.halt();
      client.stop();
      server.stop();
      client.stopWaiting();
    },
  };
}
