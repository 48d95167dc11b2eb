/**
 * The classic stack contract through the facade, on real loopback sockets: two facade stacks
 * talking to each other (and sipsak for a real peer).
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipRequest, SipResponse } from '@sipts/message';
import { createFakeClock } from '@sipts/transaction';
import { freePort, runTool, until } from '@sipts/test-peers';
import { makeResponse, type ClassicInstance, type Remote } from '../src/index.js';
import { request, sendAndCollect, stackOn } from './helpers.js';

const open: ClassicInstance[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.destroy()));
  for (const s of sockets.splice(0)) s.close();
});

async function pair(onRequest: (rq: SipRequest, remote: Remote, b: ClassicInstance) => void, aOptions = {}, bOptions = {}) {
  const b = await stackOn((rq, remote) => {
    onRequest(rq, remote, b);
  }, bOptions);
  const aRequests: SipRequest[] = [];
  const a = await stackOn((rq) => aRequests.push(rq), aOptions);
  open.push(a, b);
  return { a, b, aRequests };
}

describe('send(request) through the facade', () => {
  it('OPTIONS round trip: the request is changed in place as the classic library did', async () => {
    const seen: { rq: SipRequest; remote: Remote }[] = [];
    const { a, b } = await pair((rq, remote, self) => {
      seen.push({ rq, remote });
      self.send(makeResponse(rq, 200, 'OK'));
    });
    const rq = request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`);
    (rq.headers as Record<string, unknown>).cseq = '7 OPTIONS';
    const [rs] = await sendAndCollect(a, rq);
    expect(rs?.status).toBe(200);
    expect(rs?.reason).toBe('OK');
    // Via unshifted with a branch and stamped; CSeq parsed; Max-Forwards added.
    expect(rq.headers.via).toHaveLength(1);
    expect(rq.headers.via?.[0]?.params.branch).toMatch(/^z9hG4bK.{16,}/);
    expect(rq.headers.via?.[0]).toMatchObject({ protocol: 'UDP', host: '127.0.0.1', port: a.port });
    expect(rq.headers.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
    expect(rq.headers['max-forwards']).toBe('70');
    // The classic remote shape.
    expect(seen[0]?.remote).toMatchObject({ protocol: 'UDP', address: '127.0.0.1', port: a.port, local: { port: b.port } });
    expect(seen[0]?.rq.headers.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
  });

  it('a request to a numeric host is in its transaction when send() returns (no resolver Promise)', async () => {
    const { a, b } = await pair((rq, _remote, self) => {
      self.send(makeResponse(rq, 200, 'OK'));
    });
    const got: number[] = [];
    a.send(request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`), (rs) => got.push(rs.status));
    expect(a.stack.transactions).toBe(1);
    expect(got).toEqual([]); // responses never arrive inside send()
    await until(() => got.length === 1, 5000, 'the 200');
    expect(got).toEqual([200]);
  });

  it('a request that already has a Via gets a new one on top, which the app can shift off', async () => {
    const { a, b } = await pair((rq, _r, self) => {
      self.send(makeResponse(rq, 200));
    });
    const rq = request('MESSAGE', `sip:bob@127.0.0.1:${String(b.port)}`, {
      via: [{ version: '2.0', protocol: 'UDP', host: '192.0.2.1', port: 5060, params: { branch: 'z9hG4bKupstream' } }],
    });
    const [rs] = await sendAndCollect(a, rq);
    expect(rs?.status).toBe(200);
    expect(rq.headers.via?.map((v) => v.host)).toEqual(['127.0.0.1', '192.0.2.1']);
    expect(rs?.headers.via?.map((v) => v.params.branch)).toEqual([rq.headers.via?.[0]?.params.branch, 'z9hG4bKupstream']);
    rq.headers.via?.shift();
    expect(rq.headers.via?.[0]?.params.branch).toBe('z9hG4bKupstream');
  });

  it('INVITE: one callback per response, then the ACK for the 2xx reaches onRequest', async () => {
    const calleeSaw: string[] = [];
    const { a, b } = await pair((rq, _r, self) => {
      calleeSaw.push(rq.method);
      if (rq.method !== 'INVITE') return;
      self.send(makeResponse(rq, 180, 'Ringing', { toTag: 'callee' }));
      self.send(makeResponse(rq, 200, 'OK', { toTag: 'callee', headers: { contact: [{ uri: `sip:bob@127.0.0.1:${String(self === b ? b.port : 0)}`, params: {} }] } }));
    });
    const invite = request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`);
    const responses = await sendAndCollect(a, invite);
    expect(responses.map((r) => r.status).filter((s) => s !== 100)).toEqual([180, 200]);
    const ok = responses.at(-1) as SipResponse;
    a.send({
      method: 'ACK',
      uri: `sip:bob@127.0.0.1:${String(b.port)}`,
      headers: { to: ok.headers.to, from: invite.headers.from, 'call-id': invite.headers['call-id'], cseq: { method: 'ACK', seq: 1 }, via: [] },
      content: '',
    } as SipRequest);
    await expect.poll(() => calleeSaw).toEqual(['INVITE', 'ACK']);
  });

  it('a throwing onRequest is answered 500', async () => {
    const { a, b } = await pair(() => {
      throw new Error('app bug');
    });
    const [rs] = await sendAndCollect(a, request('OPTIONS', `sip:bob@127.0.0.1:${String(b.port)}`));
    expect(rs?.status).toBe(500);
  });

  it('synthesizes 408 when nothing answers (timers passed through to the stack)', async () => {
    const silent = createSocket('udp4');
    sockets.push(silent);
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const a = await stackOn(() => undefined, { timers: { T1: 20 } });
    open.push(a);
    const rq = request('OPTIONS', `sip:nobody@127.0.0.1:${String(silent.address().port)}`);
    const responses = await sendAndCollect(a, rq);
    expect(responses.map((r) => r.status)).toEqual([408]);
    expect(responses[0]?.headers.via?.[0]?.params.branch).toBe(rq.headers.via?.[0]?.params.branch);
  });

  it('synthesizes 503 when the connection is refused', async () => {
    const a = await stackOn(() => undefined);
    open.push(a);
    const port = await freePort();
    const responses = await sendAndCollect(a, request('OPTIONS', `sip:nobody@127.0.0.1:${String(port)};transport=tcp`));
    expect(responses.map((r) => r.status)).toEqual([503]);
  });

  it('synthesizes 404 for a flow URI of ours whose token does not verify', async () => {
    const a = await stackOn(() => undefined);
    open.push(a);
    const responses = await sendAndCollect(a, request('OPTIONS', 'sip:bm90LWEtdG9rZW4@127.0.0.1'));
    expect(responses.map((r) => r.status)).toEqual([404]);
  });

  it('CANCEL the classic way: 200 to the CANCEL, 487 to the INVITE, and the callee hears the CANCEL', async () => {
    const calleeSaw: string[] = [];
    const { a, b } = await pair((rq, _r, self) => {
      calleeSaw.push(rq.method);
      if (rq.method === 'INVITE') self.send(makeResponse(rq, 180, 'Ringing', { toTag: 'ring' }));
    });
    const invite = request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`);
    const statuses: number[] = [];
    const final = new Promise<void>((resolve) => {
      a.send(invite, (rs) => {
        statuses.push(rs.status);
        if (rs.status === 180) {
          const cancel: SipRequest = {
            method: 'CANCEL',
            uri: invite.uri,
            headers: { via: [invite.headers.via?.[0]], to: invite.headers.to, from: invite.headers.from, 'call-id': invite.headers['call-id'], cseq: { method: 'CANCEL', seq: 1 } } as SipRequest['headers'],
            content: '',
          };
          a.send(cancel, (crs) => statuses.push(crs.status * 10));
        }
        if (rs.status >= 200) resolve();
      });
    });
    await final;
    expect(statuses.filter((s) => s !== 100)).toEqual(expect.arrayContaining([180, 2000, 487]));
    expect(calleeSaw).toEqual(['INVITE', 'CANCEL']);
  });

  it('ringTimeLimit runs on the stack’s clock: a ringing INVITE is cancelled and reported as 408 when that clock passes the limit', async () => {
    const clock = createFakeClock();
    const calleeSaw: string[] = [];
    const { a, b } = await pair(
      (rq, _r, self) => {
        calleeSaw.push(rq.method);
        if (rq.method === 'INVITE') self.send(makeResponse(rq, 180, 'Ringing', { toTag: 'ring' }));
      },
      { ringTimeLimit: 60_000, clock },
    );
    const statuses: number[] = [];
    await new Promise<void>((ringing) => {
      a.send(request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`), (rs) => {
        if (rs.status !== 100) statuses.push(rs.status);
        if (rs.status === 180) ringing();
      });
    });
    clock.advance(59_999);
    expect(statuses).toEqual([180]);
    clock.advance(1);
    expect(statuses).toEqual([180, 408]);
    await expect.poll(() => calleeSaw).toEqual(['INVITE', 'CANCEL']);
    expect(statuses).toEqual([180, 408]); // the callee's 487 after the CANCEL is not reported again
  });

  it('destroy leaves no ring-time timer on the stack’s clock', async () => {
    const clock = createFakeClock();
    const { a, b } = await pair((rq, _r, self) => {
      if (rq.method === 'INVITE') self.send(makeResponse(rq, 180, 'Ringing', { toTag: 'ring' }));
    }, { ringTimeLimit: 60_000, clock });
    await new Promise<void>((ringing) => {
      a.send(request('INVITE', `sip:bob@127.0.0.1:${String(b.port)}`), (rs) => {
        if (rs.status === 180) ringing();
      });
    });
    expect(clock.pending).toBeGreaterThan(0);
    await a.destroy();
    expect(clock.pending).toBe(0);
  });

  it('flow URIs: a request to the flow URI of an incoming TCP request goes back over that connection', async () => {
    let flowUri: unknown;
    const b = await stackOn((rq, remote) => {
      if (rq.method === 'REGISTER') flowUri = b.encodeFlowUri(remote);
      b.send(makeResponse(rq, 200));
    });
    const aSaw: { method: string; protocol: string }[] = [];
    const a = await stackOn((rq, remote) => {
      aSaw.push({ method: rq.method, protocol: remote.protocol });
      a.send(makeResponse(rq, 200));
    });
    open.push(a, b);
    const [reg] = await sendAndCollect(a, request('REGISTER', `sip:127.0.0.1:${String(b.tcpPort)};transport=tcp`));
    expect(reg?.status).toBe(200);
    expect(b.isFlowUri(flowUri as never)).toBe(true);
    expect(b.isFlowUri(`sip:someone@127.0.0.1:${String(b.port)}`)).toBe(false);
    expect(b.decodeFlowUri(flowUri as never)).toMatchObject({ protocol: 'TCP', address: '127.0.0.1' });
    // Route: <flow URI;lr>: our own Route comes off and names the flow (the classic outbound design).
    const uri = { ...(flowUri as object), params: { lr: null } };
    const options = request('OPTIONS', 'sip:someone@example.invalid', { route: [{ uri: uri as never, params: {} }] });
    const [rs] = await sendAndCollect(b, options);
    expect(rs?.status).toBe(200);
    expect(aSaw).toEqual([{ method: 'OPTIONS', protocol: 'TCP' }]);
  });

  it('a flow URI whose connection has closed gives 430 Flow Failed (RFC 5626 §5.3)', async () => {
    let flowUri: unknown;
    const b = await stackOn((rq, remote) => {
      flowUri = b.encodeFlowUri(remote);
      b.send(makeResponse(rq, 200));
    });
    const a = await stackOn(() => undefined);
    open.push(b);
    const [reg] = await sendAndCollect(a, request('REGISTER', `sip:127.0.0.1:${String(b.tcpPort)};transport=tcp`));
    expect(reg?.status).toBe(200);
    await a.destroy(); // closes the TCP connection
    await expect.poll(() => b.stack.transport.stats.connectionsClosed).toBe(1);
    const responses = await sendAndCollect(b, request('OPTIONS', 'sip:x@example.invalid', { route: [{ uri: { ...(flowUri as object), params: { lr: null } } as never, params: {} }] }));
    expect(responses.map((r) => r.status)).toEqual([430]);
    expect(responses[0]?.reason).toBe('Flow Failed');
  });

  it('answers sipsak (a real peer) and counts its OPTIONS', async () => {
    const b = await stackOn((rq, _r) => {
      b.send(makeResponse(rq, 200, 'OK'));
    });
    open.push(b);
    const r = await runTool('/usr/bin/sipsak', ['-s', `sip:test@127.0.0.1:${String(b.port)}`, '-v'], { timeoutMs: 15_000 });
    expect(r.stdout + r.stderr).toMatch(/200 OK/);
    expect(r.code).toBe(0);
  });
});
