/**
 * Forking (RFC 3261 §16.5–§16.8) over TCP on 127.0.0.1: parallel with best-response selection,
 * sequential by q-value with Timer C, a 6xx cancelling the other branches, 401 challenges
 * aggregated. (TCP hops: Timer D is 0 over reliable transports, so every transaction ends in the test.)
 */
import { makeResponse, type Headers, type SipRequest, type SipResponse } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { generateTag } from '@sipts/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { drainAndStop, newRequest, router, startProxy, startStack, startUas, until, uriOf } from './helpers.js';

/** The response a branch callback passes upstream: the proxy's own Via taken off (§16.7 item 3). */
function stripTopVia(rs: SipResponse): SipResponse {
  return { ...rs, headers: { ...rs.headers, via: (rs.headers.via ?? []).slice(1) } };
}

afterEach(async () => {
  await drainAndStop();
});

function answerWith(status: number, extra: Headers = {}, delay = 0) {
  return (rq: SipRequest, st: ServerTransactionHandle): void => {
    const toTag = generateTag();
    const send = (): void => void st.respond(makeResponse(rq, status, undefined, { toTag, headers: extra }));
    if (delay > 0) setTimeout(send, delay);
    else send();
  };
}

describe('forking', () => {
  it('parallel: 486 from one branch and 200 from the other: the UAC sees only the 200', async () => {
    const busy = await startUas(answerWith(486), 'TCP');
    const ok = await startUas((rq, st) => {
      const toTag = generateTag();
      void st.respond(makeResponse(rq, 180, undefined, { toTag }));
      setTimeout(() => void st.respond(makeResponse(rq, 200, undefined, { toTag, headers: { contact: [{ uri: uriOf(ok.stack, 'TCP'), params: {} }] } })), 150);
    }, 'TCP');
    const p = await startProxy({}, router(() => [uriOf(busy.stack, 'TCP'), uriOf(ok.stack, 'TCP')]));
    const uac = await startStack();
    const seen: number[] = [];
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP'), { onResponse: (r) => seen.push(r.status) }).final;
    expect(rs.status).toBe(200);
    expect(seen).not.toContain(486);
    expect(busy.log.requests).toHaveLength(1);
    expect(ok.log.requests).toHaveLength(1);
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
  });

  it('parallel: every branch fails: the best response (lowest class) is forwarded', async () => {
    const a = await startUas(answerWith(486), 'TCP');
    const b = await startUas(answerWith(302, { contact: [{ uri: 'sip:elsewhere@127.0.0.1', params: {} }] }, 50), 'TCP');
    const p = await startProxy({}, router(() => [uriOf(a.stack, 'TCP'), uriOf(b.stack, 'TCP')]));
    const uac = await startStack();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final;
    expect(rs.status).toBe(302);
  });

  it('sequential by q: the first target times out (Timer C, CANCEL) and the second answers', async () => {
    const slow = await startUas(() => undefined, 'TCP'); // only the stack's own 100 Trying
    const fast = await startUas(undefined, 'TCP');
    const p = await startProxy({ timerC: 400 }, (proxy, rq) => {
      proxy.send(rq, {
        targets: [
          { uri: uriOf(fast.stack, 'TCP'), q: 0.5 },
          { uri: uriOf(slow.stack, 'TCP'), q: 1 },
        ],
        mode: 'sequential',
      });
    });
    const uac = await startStack();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final;
    expect(rs.status).toBe(200);
    expect(slow.log.requests).toHaveLength(1);
    expect(slow.log.cancels).toHaveLength(1);
    expect(fast.log.requests).toHaveLength(1);
    await until(() => p.proxy.contexts === 0, 3000, 'no context');
  });

  it('a 6xx cancels the other branches and is forwarded', async () => {
    const decline = await startUas(answerWith(603, {}, 100), 'TCP');
    const ringing = await startUas((rq, st) => void st.respond(makeResponse(rq, 180, undefined, { toTag: generateTag() })), 'TCP');
    const p = await startProxy({}, router(() => [uriOf(decline.stack, 'TCP'), uriOf(ringing.stack, 'TCP')]));
    const uac = await startStack();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final;
    expect(rs.status).toBe(603);
    expect(ringing.log.cancels).toHaveLength(1);
  });

  it('aggregates the 401 challenges of two branches into one response', async () => {
    const a = await startUas(answerWith(401, { 'www-authenticate': [{ scheme: 'Digest', realm: '"a.example"', nonce: '"1"' }] }), 'TCP');
    const b = await startUas(answerWith(401, { 'www-authenticate': [{ scheme: 'Digest', realm: '"b.example"', nonce: '"2"' }] }, 50), 'TCP');
    const p = await startProxy({}, router(() => [uriOf(a.stack, 'TCP'), uriOf(b.stack, 'TCP')]));
    const uac = await startStack();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final;
    expect(rs.status).toBe(401);
    const realms = (rs.headers['www-authenticate'] ?? []).map((h) => h.realm).sort();
    expect(realms).toEqual(['"a.example"', '"b.example"']);
  });

  it('a branch with no response at all counts as 408 when Timer C fires', async () => {
    const silent = await startStack({ trying100: false });
    let answer: (() => void) | undefined;
    silent.setRequestHandler((rq, st) => {
      // Never answered during Timer C; answered late so its transaction ends within the test.
      answer = () => void st.respond(makeResponse(rq, 486, undefined, { toTag: generateTag() }));
    });
    const p = await startProxy({ timerC: 300 }, router(() => [uriOf(silent, 'TCP')]));
    const uac = await startStack();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final;
    expect(rs.status).toBe(408);
    answer?.();
  });

  it('Timer C’s 408 to a branch callback carries the branch’s own Via, as every response to a callback does (§16.8)', async () => {
    const silent = await startStack({ trying100: false });
    let answer: (() => void) | undefined;
    let seenBranch: unknown;
    silent.setRequestHandler((rq, st) => {
      seenBranch = rq.headers.via?.[0]?.params.branch;
      answer = () => void st.respond(makeResponse(rq, 486, undefined, { toTag: generateTag() }));
    });
    const got: SipResponse[] = [];
    const p = await startProxy({ timerC: 300 }, (proxy, rq) => {
      proxy.send(rq, {
        targets: [{ uri: uriOf(silent, 'TCP') }],
        callback: (rs) => {
          got.push(rs);
          if (rs.status >= 200) proxy.send(stripTopVia(rs));
        },
      });
    });
    const uac = await startStack();
    const rs = await uac.send(newRequest('INVITE', 'sip:bob@example.invalid', p.stack, 'TCP')).final;
    expect(rs.status).toBe(408);
    expect(got.map((r) => r.status)).toEqual([408]);
    const top = got[0]?.headers.via?.[0];
    expect(top?.params.branch).toMatch(/^z9hG4bK/);
    expect(top?.params.branch).toBe(seenBranch);
    expect(got[0]?.headers.via?.slice(1)).toEqual(rs.headers.via);
    answer?.();
  });
});
