/**
 * Memory per live server transaction, measured in-process (a child of main.mjs, run with
 * --expose-gc): N OPTIONS requests, each parsed from its own bytes as they come off a socket, are
 * handed to the transaction layer on a loopback transport that sends nothing; the TU either holds
 * them unanswered (Trying) or answers 200 (Completed, kept by Timer J for 64·T1 = 32 s). The
 * figure is JS heap after two full GCs, (with N live − before) / N; `message` is the same for the
 * parsed requests alone (no transaction), so the transaction's own share is the difference.
 * `answered-proxy` is `answered` with merged-request detection off (a proxy's setting, RFC 3261
 * §16.3): no From-tag/Call-ID/CSeq key kept per transaction. `external` is the same per-N figure
 * for memory outside the JS heap (ArrayBuffers: the response bytes a waiting transaction keeps).
 * The loopback prepares each response as the Node transport does (serialized bytes, a target
 * object), so what a waiting transaction keeps of it is counted.
 *
 * argv[2]: JSON {kind: 'sipts' | 'classic', state: 'message' | 'held' | 'answered' | 'answered-proxy', n}
 * Prints one JSON line.
 */
import { createRequire } from 'node:module';
import { makeResponse, parseMessage, serializeMessage } from '@sipts/message';
import { createDefaultClock, createTransactionLayer } from '@sipts/transaction';
import { responseTarget } from '@sipts/transport';

const require = createRequire(import.meta.url);
const { kind, state, n } = JSON.parse(process.argv[2] ?? '{}');
const WARMUP = 2000;

function gc() {
  globalThis.gc();
  globalThis.gc();
}

function requestBytes(i) {
  const id = `${i.toString(16).padStart(8, '0')}`;
  return Buffer.from(
    'OPTIONS sip:bench@127.0.0.1:5060 SIP/2.0\r\n' +
      `Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-4242-${id}-0\r\n` +
      `From: sipp <sip:sipp@127.0.0.1:5061>;tag=4242SIPpTag00${id}\r\n` +
      'To: <sip:bench@127.0.0.1:5060>\r\n' +
      `Call-ID: ${id}-4242@127.0.0.1\r\n` +
      'CSeq: 1 OPTIONS\r\n' +
      'Max-Forwards: 70\r\n' +
      'Content-Length: 0\r\n\r\n',
    'latin1',
  );
}

const remote = { protocol: 'UDP', address: '127.0.0.1', port: 5061, local: { address: '127.0.0.1', port: 5060 } };

/** A server that takes requests: returns {add(i), stop()}. */
function makeServer() {
  const held = [];
  if (kind === 'sipts') {
    // A TransportPort (@sipts/transport) that prepares a response as the Node transport layer does
    // (its bytes, its target, the local port) and sends nothing: every send went out at once.
    const transport = {
      sendRequest: () => 'sent',
      prepareResponse: (rs, r) => ({ bytes: serializeMessage(rs), to: responseTarget(rs, r, { symmetric: false }), status: rs.status, localPort: r?.local.port }),
      sendResponse: () => 'sent',
    };
    const layer = createTransactionLayer({
      transport,
      clock: createDefaultClock(),
      mergedRequests: state !== 'answered-proxy',
      onServerTransaction(rq, st) {
        if (state.startsWith('answered')) st.respond(makeResponse(rq, 200)).catch(() => undefined);
        else held.push(st);
      },
    });
    return {
      add(i) {
        if (state === 'message') held.push(parseMessage(requestBytes(i)));
        else layer.handlers.onRequest(parseMessage(requestBytes(i)), remote);
      },
      live: () => (state === 'message' ? held.length : layer.size),
      stop: () => layer.stop(),
    };
  }
  const sip = require('sip');
  const layer = sip.makeTransactionLayer({}, () => undefined);
  const cn = { send() {}, release() {} };
  let live = 0;
  return {
    add(i) {
      const rq = sip.parse(requestBytes(i));
      if (state === 'message') {
        held.push(rq);
        return;
      }
      // What the classic stack does for a new request (sip.js, makeTransport's onMessage).
      const st = layer.createServerTransaction(rq, cn);
      live++;
      // Its transaction keeps no request: a TU that answers later holds it (ours holds `st`, which has it).
      if (state.startsWith('answered')) st.send(sip.makeResponse(rq, 200, 'OK'));
      else held.push(rq);
    },
    live: () => (state === 'message' ? held.length : live),
    stop: () => layer.destroy(),
  };
}

// Warm-up on a throwaway server: JIT, hidden classes, the clock's heap.
const warm = makeServer();
for (let i = 0; i < WARMUP; i++) warm.add(1_000_000_000 + i);
warm.stop();
await new Promise((resolve) => setImmediate(resolve));

const server = makeServer();
gc();
const beforeAll = process.memoryUsage();
const before = beforeAll.heapUsed;
for (let i = 0; i < n; i++) server.add(i);
// Let the sends' promise callbacks run, as a server's event loop does between datagrams: until
// then they hold every transaction they belong to.
await new Promise((resolve) => setImmediate(resolve));
gc();
const afterAll = process.memoryUsage();
const after = afterAll.heapUsed;
const external = (afterAll.external - beforeAll.external) / n;
const live = server.live();
server.stop();
console.log(JSON.stringify({ kind, state, n, live, bytesPer: (after - before) / n, externalPer: external, heapBefore: before, heapAfter: after }));
