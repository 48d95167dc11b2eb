/**
 * An INVITE answered 2xx waits in Accepted for Timer M (64·T1, RFC 6026 §7.2): further 2xx still
 * reach the caller's `onResponse`, but the layer keeps only that callback, not the request's
 * handle with its final response. A proxy forwarding thousands of calls a second would otherwise
 * hold every 200 OK (and everything it points to) for 32 s.
 * Neutral stack, a recording port, a fake clock.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { stackOn, TARGET } from './recording-stack.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function invite(): SipRequest {
  const uri = 'sip:bob@127.0.0.1:5099';
  return {
    method: 'INVITE',
    uri,
    headers: {
      to: { uri, params: {} },
      from: { uri: 'sip:alice@127.0.0.1', params: { tag: generateTag() } },
      'call-id': `accepted-${generateTag()}`,
      cseq: { seq: 1, method: 'INVITE' },
      'max-forwards': '70',
      'content-length': 0,
    },
  };
}

/** A 200 OK to the INVITE as sent (its Via carries the branch the stack chose). */
function ok(rq: SipRequest): SipResponse {
  return makeResponse(rq, 200, 'OK', { toTag: 'callee' });
}

describe('an INVITE in Accepted (RFC 6026 §7.2)', () => {
  it('passes every further 2xx to onResponse until Timer M, then none', async () => {
    const { stack, sent, clock, receive } = stackOn(() => 'sent');
    const seen: number[] = [];
    const handle = stack.send(invite(), { target: TARGET, onResponse: (rs) => seen.push(rs.status) });
    const rq = sent[0] as SipRequest;
    receive(ok(rq));
    await new Promise((resolve) => setImmediate(resolve));
    expect((await handle.final).status).toBe(200);
    receive(ok(rq));
    expect(seen).toEqual([200, 200]);
    clock.advance(64 * 500 + 1);
    receive(ok(rq));
    expect(seen).toEqual([200, 200]);
    await stack.stop();
  });

  it('does not keep the final response while it waits: the caller may let it go', async () => {
    const { stack, sent, receive } = stackOn(() => 'sent');
    const seen: number[] = [];
    let ref: WeakRef<SipResponse> | undefined;
    (() => {
      // The handle is dropped at once, as a proxy drops a branch's handle once it is answered.
      stack.send(invite(), { target: TARGET, onResponse: (rs) => seen.push(rs.status) });
      const final = ok(sent[0] as SipRequest);
      ref = new WeakRef(final);
      receive(final);
      expect(seen).toEqual([200]);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(ref?.deref()).toBeUndefined();
    receive(ok(sent[0] as SipRequest));
    expect(seen).toEqual([200, 200]);
    await stack.stop();
  });
});
