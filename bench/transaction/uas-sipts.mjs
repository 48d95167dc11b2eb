/**
 * The measured UAS on `createStack` from the built @sipts/transaction (UDP on 127.0.0.1, default
 * RFC timers: T1 500 ms, so Timer J keeps each answered OPTIONS 32 s, as the RFC asks).
 *   mode 'options': OPTIONS → 200 without a To tag, as the classic one-liner (after `delayMs` when
 *                   given: the transaction stays open meanwhile)
 *   mode 'call':    INVITE → 180 and 200 (retransmitted by this core until the ACK, RFC 3261
 *                   §13.3.1.4), ACK, BYE → 200
 * argv[2]: JSON {port, mode, delayMs, rcvbuf}. Talks to main.mjs over IPC (uas-ipc.mjs).
 */
import { makeResponse } from '@sipts/message';
import { createDefaultClock } from '@sipts/transaction';
import { createStack } from '@sipts/transaction/node';
import { generateTag } from '@sipts/transport';
import { createDelayQueue, serveParent } from './uas-ipc.mjs';
import { enlargeUdpBuffers } from './udp-buffers.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);
const T1 = 500;
const T2 = 4000;
const clock = createDefaultClock();
const delayed = createDelayQueue(opts.delayMs ?? 0);
const counters = { requests: 0, answered: 0, sendErrors: 0, acks: 0, retransmitted2xx: 0 };
const fail = () => {
  counters.sendErrors++;
};
/** Unacknowledged 2xx by Call-ID: the retransmission timer of §13.3.1.4. */
const unacked = new Map();

const stack = createStack({
  address: '127.0.0.1',
  udp: { port: opts.port },
  tcp: false,
  clock,
  resolver: () => Promise.resolve([]),
  onAck(ack) {
    counters.acks++;
    const callId = ack.headers['call-id'];
    const pending = unacked.get(callId);
    if (pending === undefined) return;
    clock.clear(pending.timer);
    unacked.delete(callId);
  },
});

function retransmit(callId, st, ok, interval, elapsed) {
  const timer = clock.set(interval, () => {
    if (st.state !== 'accepted' || elapsed + interval >= 64 * T1) {
      unacked.delete(callId);
      return;
    }
    counters.retransmitted2xx++;
    st.respond(ok).catch(fail);
    retransmit(callId, st, ok, Math.min(2 * interval, T2), elapsed + interval);
  });
  unacked.set(callId, { timer });
}

stack.setRequestHandler((rq, st) => {
  counters.requests++;
  switch (rq.method) {
    case 'OPTIONS':
      // No To tag, as the classic one-liner (sip.makeResponse(rq, 200, 'OK')): both TUs do the same work.
      delayed.push(() => {
        counters.answered++;
        st.respond(makeResponse(rq, 200)).catch(fail);
      });
      return;
    case 'INVITE': {
      const toTag = generateTag();
      const contact = [{ uri: `sip:uas@127.0.0.1:${String(opts.port)}`, params: {} }];
      st.respond(makeResponse(rq, 180, undefined, { toTag })).catch(fail);
      const ok = makeResponse(rq, 200, undefined, { toTag, headers: { contact } });
      counters.answered++;
      st.respond(ok).catch(fail);
      retransmit(rq.headers['call-id'], st, ok, T1, 0);
      return;
    }
    case 'BYE':
      counters.answered++;
      st.respond(makeResponse(rq, 200)).catch(fail);
      return;
    default:
      st.respond(makeResponse(rq, 501, undefined, { toTag: generateTag() })).catch(fail);
  }
});
await stack.start();

serveParent({
  port: stack.transport.listening[0].port,
  counters: () => ({ ...counters, transactions: stack.transactions, timers: clock.pending, queued: delayed.length, ...stack.transport.stats }),
  stop: () => stack.stop(),
});
