/**
 * `cancel()` of the handle `Stack.send` returns: the same outcome as aborting a signal, without an
 * AbortController (what a proxy uses for each INVITE branch, RFC 3261 §16.10), over UDP on 127.0.0.1.
 */
import { makeResponse, type SipRequest } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { newRequest, startStack, stopAll, targetOf, until, uriOf } from './stack-helpers.js';

afterEach(stopAll);

/** A UAS that answers INVITE 180 and nothing more. */
async function startRinging() {
  const got: { requests: SipRequest[]; sts: ServerTransactionHandle[] } = { requests: [], sts: [] };
  const { stack } = await startStack();
  stack.setRequestHandler((rq, st) => {
    got.requests.push(rq);
    got.sts.push(st);
    void st.respond(makeResponse(rq, 180, undefined, { toTag: generateTag() }));
  });
  return { stack, got };
}

describe('Stack.send handle: cancel() (RFC 3261 §9.1)', () => {
  it('cancels an INVITE after its 180: CANCEL, then the UAS 487', async () => {
    const uas = await startRinging();
    const { stack: uac } = await startStack({ timers: { T1: 50 } });
    const seen: number[] = [];
    const handle = uac.send(newRequest('INVITE', uriOf(uas.stack, 'UDP')), {
      onResponse: (r) => {
        seen.push(r.status);
        if (r.status === 180) handle.cancel();
      },
    });
    const rs = await handle.final;
    expect(rs.status).toBe(487);
    expect(rs.headers.to?.params.tag).toBeDefined(); // the UAS's 487, not one synthesized by the UAC
    expect(seen).toContain(180);
    await until(() => uas.got.sts[0]?.cancelled === true, 5000, 'the CANCEL at the UAS');
  });

  it('cancelled before the next hop is resolved: not sent, 487', async () => {
    const uas = await startRinging();
    // A resolver function of the application's: always asynchronous (a numeric host given to the
    // default resolver is sent before send() returns, so there would be nothing to cancel first).
    const { stack: uac } = await startStack({ resolver: () => Promise.resolve([targetOf(uas.stack, 'UDP')]) });
    const handle = uac.send(newRequest('INVITE', uriOf(uas.stack, 'UDP')));
    handle.cancel();
    const rs = await handle.final;
    expect(`${String(rs.status)} ${String(rs.reason)}`).toBe('487 Request Terminated');
    expect(uas.got.requests).toHaveLength(0);
  });
});
