/**
 * The response context's one state field and its branches, on a fake host and a fake clock (no
 * sockets): which state each event leads to, and that an INVITE branch is cancelled through the
 * handle the stack returned (no AbortController).
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { createFakeClock, type Clock, type ServerTransactionHandle } from '@sipts/transaction';
import { silentLogger } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import type { Branch } from '../src/branch.js';
import { LateBranches, ProxyContext, type ContextHost } from '../src/context.js';

const invite: SipRequest = {
  method: 'INVITE',
  uri: 'sip:bob@127.0.0.1',
  headers: {
    via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5070, params: { branch: 'z9hG4bKup1' } }],
    to: { uri: 'sip:bob@127.0.0.1', params: {} },
    from: { uri: 'sip:alice@127.0.0.1', params: { tag: 'f1' } },
    'call-id': 'state-1',
    cseq: { seq: 1, method: 'INVITE' },
    'max-forwards': '70',
  },
  content: '',
};

/** A downstream response as it comes back: the proxy's Via on top of the upstream one. */
function downstream(status: number): SipResponse {
  const rs = makeResponse(invite, status, undefined, { toTag: 't1' });
  rs.headers.via = [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5060, params: { branch: 'z9hG4bKdown' } }, ...(rs.headers.via ?? [])];
  return rs;
}

/** `bare`: the host's clock has no `setCall` (a user's own clock may not), so Timer C and the guard go through `set`. */
function setup(request: SipRequest = invite, bare = false) {
  const clock = createFakeClock();
  const given: Clock = bare ? { now: () => clock.now(), set: (ms, fn) => clock.set(ms, fn), clear: (h) => { clock.clear(h); }, get pending() { return clock.pending; } } : clock;
  const branches: Branch[] = [];
  const cancels: number[] = [];
  const upstream: number[] = [];
  let ended = 0;
  const host: ContextHost = {
    clock: given,
    logger: silentLogger,
    timerC: 181_000,
    contextTimeout: 32_000,
    sendBranch(_ctx, rq, _target, branch) {
      branch.request = rq; // as the proxy does with the copy it sends (Timer C's 408 is built from it)
      const i = branches.push(branch) - 1;
      return { cancel: () => cancels.push(i) };
    },
    respondLate: (rs) => upstream.push(rs.status),
    ended: () => {
      ended++;
    },
    late: new LateBranches(silentLogger, (rs) => upstream.push(rs.status)),
  };
  const fake = { finalSent: false, toTag: undefined as string | undefined, respond: (rs: SipResponse) => Promise.resolve(rs) };
  fake.respond = (rs) => {
    if (rs.status >= 200) fake.finalSent = true;
    upstream.push(rs.status);
    return Promise.resolve(rs);
  };
  const st = fake as unknown as ServerTransactionHandle;
  const remote = { protocol: 'UDP', address: '127.0.0.1', port: 5070, local: { address: '127.0.0.1', port: 5060 } } as const;
  const ctx = new ProxyContext(host, { key: 'k', request, st, remote, loop: 'loop' });
  return { clock, ctx, branches, cancels, upstream, ended: () => ended };
}

describe('ProxyContext state (RFC 3261 §16.7, §16.10)', () => {
  it('routing → answered → ended on a 200; the 180 goes up, the branch ends done', () => {
    const t = setup();
    expect(t.ctx.state).toBe('routing');
    t.ctx.forward(invite, [], 'parallel', undefined);
    const b = t.branches[0];
    expect(b?.state).toBe('trying');
    b?.onResponse(downstream(180));
    expect(b?.state).toBe('proceeding');
    b?.onResponse(downstream(200));
    expect(b?.state).toBe('done');
    expect(t.upstream).toEqual([180, 200]);
    expect(t.ctx.state).toBe('ended');
    expect(t.ended()).toBe(1);
    expect(t.clock.pending).toBe(0);
  });

  it('an ended context lets go of its branches: a further 2xx still goes up, the rest on the branch does not (RFC 6026)', () => {
    const t = setup();
    t.ctx.forward(invite, ['sip:a@127.0.0.1', 'sip:b@127.0.0.1'].map((uri) => ({ uri })), 'parallel', undefined);
    const [a, b] = t.branches;
    b?.onResponse(downstream(180));
    a?.onResponse(downstream(200));
    expect(t.cancels).toEqual([1]);
    b?.onResponse(downstream(487));
    expect(t.ctx.state).toBe('ended');
    // The branches keep neither their request (Timer C is over) nor their cancel handle.
    expect([a?.request, b?.request, a?.handle, b?.handle]).toEqual([undefined, undefined, undefined, undefined]);
    a?.onResponse(downstream(200)); // a retransmission of the 2xx (its client transaction is in Accepted)
    b?.onResponse(downstream(180));
    b?.onResponse(downstream(487));
    expect(t.upstream).toEqual([180, 200, 200]);
    expect(t.clock.pending).toBe(0);
  });

  it('a CANCEL: cancelled, the pending INVITE branch cancelled through its handle, 487 after the branch ends', () => {
    const t = setup();
    t.ctx.forward(invite, ['sip:a@127.0.0.1', 'sip:b@127.0.0.1'].map((uri) => ({ uri })), 'parallel', undefined);
    t.branches[0]?.onResponse(downstream(180));
    t.ctx.cancel();
    expect(t.ctx.state).toBe('cancelled');
    expect(t.cancels).toEqual([0, 1]);
    // No new branch while cancelled: forward answers 487 at once instead.
    t.branches[0]?.onResponse(downstream(487));
    t.branches[1]?.onResponse(downstream(487));
    expect(t.upstream).toEqual([180, 487]);
    expect(t.ctx.state).toBe('ended');
  });

  it('a 6xx: global-failure, the other branch cancelled, then the 6xx goes up (§16.7 item 5)', () => {
    const t = setup();
    t.ctx.forward(invite, [{ uri: 'sip:a@127.0.0.1' }, { uri: 'sip:b@127.0.0.1' }], 'parallel', undefined);
    t.branches[0]?.onResponse(downstream(603));
    expect(t.ctx.state).toBe('global-failure');
    expect(t.cancels).toEqual([1]);
    t.ctx.forward(invite, [{ uri: 'sip:c@127.0.0.1' }], 'parallel', undefined);
    expect(t.branches).toHaveLength(2);
    t.branches[1]?.onResponse(downstream(487));
    expect(t.upstream).toEqual([603]);
    expect(t.ctx.state).toBe('ended');
  });

  it('Timer C on a branch with no response: cancelled through its handle, counted as 408 (§16.8)', () => {
    const t = setup();
    t.ctx.forward(invite, [], 'parallel', undefined);
    t.clock.advance(181_000);
    expect(t.cancels).toEqual([0]);
    expect(t.branches[0]?.state).toBe('done');
    expect(t.upstream).toEqual([408]);
    expect(t.ctx.state).toBe('ended');
  });

  it('a non-INVITE branch is never cancelled and has no Timer C (§16.10 cancels INVITE only)', () => {
    const options: SipRequest = { ...invite, method: 'OPTIONS', headers: { ...invite.headers, cseq: { seq: 1, method: 'OPTIONS' } } };
    const t = setup(options);
    t.ctx.forward(options, [], 'parallel', undefined);
    expect(t.clock.pending).toBe(0);
    t.ctx.cancel();
    expect(t.cancels).toEqual([]);
  });

  it('the route callback does nothing: 408 after the context timeout, then ended', () => {
    const t = setup();
    t.clock.advance(32_000);
    expect(t.upstream).toEqual([408]);
    expect(t.ctx.state).toBe('ended');
  });

  it('on a clock without setCall, Timer C and the context timeout fire the same (through set)', () => {
    const c = setup(invite, true);
    c.ctx.forward(invite, [], 'parallel', undefined);
    c.clock.advance(181_000);
    expect(c.cancels).toEqual([0]);
    expect(c.upstream).toEqual([408]);
    const g = setup(invite, true);
    g.clock.advance(32_000);
    expect(g.upstream).toEqual([408]);
    expect(g.ctx.state).toBe('ended');
  });
});
