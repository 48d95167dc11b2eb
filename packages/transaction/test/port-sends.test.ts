/**
 * Transactions on the transport's port (RFC 3261 §17.1.4, §17.2.4): a send that went out at once
 * costs no Promise of its own, and a failure the port reports at once reaches the transaction
 * before any microtask runs.
 */
import { makeResponse, SipError, type SipRequest } from '@sipts/message';
import type { PreparedResponse, Remote, SendOutcome, Target, TransportPort } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMERS } from '../src/clock.js';
import { createFakeClock } from '../src/fake-clock.js';
import { createNonInviteClientTransaction } from '../src/non-invite-client.js';
import { createNonInviteServerTransaction } from '../src/non-invite-server.js';
import type { TransactionContext } from '../src/types.js';
import { clientUser, recordingLogger, request, serverUser } from './loopback.js';

const TARGET: Target = { protocol: 'UDP', address: '192.0.2.10', port: 5060 };

/** A port that sends everything at once, or fails everything at once; it counts what it is asked. */
function syncPort(fail = false): TransportPort & { prepared: number; sent: PreparedResponse[]; requests: SipRequest[] } {
  const outcome = (): SendOutcome => (fail ? new SipError('send-failed', 'unreachable', { status: 503 }) : 'sent');
  const port = {
    prepared: 0,
    sent: [] as PreparedResponse[],
    requests: [] as SipRequest[],
    sendRequest(rq: SipRequest): SendOutcome {
      port.requests.push(rq);
      return outcome();
    },
    prepareResponse(rs: Parameters<TransportPort['prepareResponse']>[0]): PreparedResponse {
      port.prepared++;
      return { bytes: new TextEncoder().encode(`SIP/2.0 ${String(rs.status)}`), to: TARGET, status: rs.status };
    },
    sendResponse(p: PreparedResponse): SendOutcome {
      port.sent.push(p);
      return outcome();
    },
  };
  return port;
}

function contextOn(port: TransportPort): TransactionContext {
  return { transport: port, clock: createFakeClock(), timers: DEFAULT_TIMERS, logger: recordingLogger() };
}

const lbRemote: Remote = { protocol: 'UDP', address: '192.0.2.10', port: 5060, local: { address: '127.0.0.1', port: 5070 } };

describe('server transactions on the port', () => {
  it('a send that fails at once is reported through the transaction, and respond() not awaited makes no unhandled rejection (§17.2.4)', async () => {
    const port = syncPort(true);
    const ctx = contextOn(port);
    const rq = request('OPTIONS');
    const errors: unknown[] = [];
    const user = { ...serverUser(), onTransportError: (e: unknown) => errors.push(e) };
    const st = createNonInviteServerTransaction(rq, lbRemote, { context: ctx, reliable: false }, user);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      // A TU that does not await: the failure must reach the transaction, not an orphan Promise.
      void st.respond(makeResponse(rq, 200, undefined, { toTag: 'x' }));
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as SipError).status).toBe(503);
    expect(st.state).toBe('terminated');
    // Whoever awaits still learns of it (the documented contract of respond()).
    const rq2 = request('OPTIONS');
    const st2 = createNonInviteServerTransaction(rq2, lbRemote, { context: ctx, reliable: false }, serverUser());
    await expect(st2.respond(makeResponse(rq2, 200, undefined, { toTag: 'y' }))).rejects.toBeInstanceOf(SipError);
  });

  it('responses that went out at once share one resolved Promise (none made per response)', async () => {
    const port = syncPort();
    const ctx = contextOn(port);
    const a = request('OPTIONS');
    const b = request('OPTIONS');
    const sa = createNonInviteServerTransaction(a, lbRemote, { context: ctx, reliable: false }, serverUser());
    const sb = createNonInviteServerTransaction(b, lbRemote, { context: ctx, reliable: false }, serverUser());
    const pa = sa.respond(makeResponse(a, 200, undefined, { toTag: 'x' }));
    const pb = sb.respond(makeResponse(b, 200, undefined, { toTag: 'y' }));
    expect(pa).toBe(pb);
    await expect(pa).resolves.toBeUndefined();
    expect(port.sent.map((p) => p.status)).toEqual([200, 200]);
  });

  it('a failure the port reports at once reaches the transaction before any microtask (§17.2.4)', async () => {
    const port = syncPort(true);
    const user = serverUser();
    const rq = request('OPTIONS');
    const st = createNonInviteServerTransaction(rq, lbRemote, { context: contextOn(port), reliable: false }, user);
    const p = st.respond(makeResponse(rq, 200, undefined, { toTag: 'x' }));
    expect(user.errors).toHaveLength(1);
    expect(st.state).toBe('terminated');
    await expect(p).rejects.toMatchObject({ status: 503 });
  });
});

describe('client transactions on the port', () => {
  it('a request the port fails at once: the user hears it synchronously and the transaction ends (§17.1.4)', () => {
    const port = syncPort(true);
    const user = clientUser();
    const tx = createNonInviteClientTransaction(request('OPTIONS'), TARGET, { context: contextOn(port), reliable: false }, user);
    tx.start();
    expect(user.errors).toHaveLength(1);
    expect(tx.state).toBe('terminated');
    expect(port.requests).toHaveLength(1);
  });
});
