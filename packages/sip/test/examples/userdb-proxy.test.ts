/**
 * The proxy with a user database of the classic API documentation (apps/userdb-proxy.cjs), on the
 * facade's proxy module: a call to a user the database knows goes through to that user (a sipp
 * UAS on 127.0.0.2) and back, the ACK and BYE as well; a user it does not know, or a request URI
 * with no user, gets 404.
 * @see RFC 3261 §16 (proxy behaviour), §16.6 (Via and request URI of the forwarded request)
 */
import { freePort } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { CLASSIC } from './harness/impl.js';
import { runSipp, startSippUas } from './harness/sipp.js';
import { runSipsak } from './harness/sipsak.js';
import { useExampleApp } from './harness/use-example-app.js';
import { addrUri, header } from './harness/wire.js';

/** The callee sits on another loopback address than the proxy, as a real one would. */
const CALLEE_IP = '127.0.0.2';

describe('classic API example: the proxy with a user database', () => {
  let bobPort = 0;
  const ex = useExampleApp('userdb-proxy', async () => {
    bobPort = await freePort(CALLEE_IP);
    return { USERDB: JSON.stringify({ bob: `sip:bob@${CALLEE_IP}:${bobPort}` }) };
  });

  it.each([
    ['u1', 'UDP'],
    ['t1', 'TCP'],
  ] as const)('proxies a call to a known user (caller on %s): INVITE, 180, 200, ACK, BYE and its 200 all pass through', async (transport, protocol) => {
    const before = ex.app.events().length;
    const uas = await startSippUas('call-uas', { localIp: CALLEE_IP, localPort: bobPort, service: 'bob', timeoutMs: 20_000 });
    const uac = await runSipp('call-uac', { remote: ex.remote, service: 'bob', transport });
    const callee = await uas.done;
    expect(uac.code, `${uac.tail}\n${callee.tail}\n${ex.app.output()}`).toBe(0);
    expect(uac.successful).toBe(1);
    expect(callee.code, callee.tail).toBe(0);
    expect(callee.successful).toBe(1);

    // The callee got the INVITE with the request URI from the database and the proxy's Via on top
    // of the caller's (RFC 3261 §16.6 steps 1, 2 and 8).
    const invite = callee.received.find((m) => m.method === 'INVITE')!;
    expect(invite.startLine).toBe(`INVITE sip:bob@${CALLEE_IP}:${bobPort} SIP/2.0`);
    const vias = header(invite, 'via').flatMap((v) => v.split(/,(?=\s*SIP\/)/));
    expect(vias).toHaveLength(2);
    expect(vias[0]).toMatch(new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${ex.port};`));
    expect(vias[1]).toContain(`SIP/2.0/${protocol} 127.0.0.1:${uac.localPort}`);
    expect(header(invite, 'call-id')).toEqual(header(uac.sent.find((m) => m.method === 'INVITE')!, 'call-id'));
    // RFC 3261 §16.6 step 3; the classic proxy module forwards Max-Forwards unchanged.
    if (!CLASSIC) expect(header(invite, 'max-forwards')).toEqual(['69']);

    // The caller got the callee's answer with only its own Via left.
    const ok = uac.received.find((m) => m.status === 200 && m.method === 'INVITE')!;
    expect(header(ok, 'via').flatMap((v) => v.split(/,(?=\s*SIP\/)/))).toHaveLength(1);
    expect(header(ok, 'contact').map(addrUri)).toEqual([`sip:bob@${CALLEE_IP}:${bobPort};transport=UDP`]);
    expect(callee.received.map((m) => m.method)).toEqual(['INVITE', 'ACK', 'BYE']);

    await expect.poll(() => ex.app.events().slice(before).map((e) => e.method)).toEqual(['INVITE', 'ACK', 'BYE']);
  });

  it('relays a CANCEL: the callee gets its own CANCEL, and its 487 reaches the caller', async () => {
    const uas = await startSippUas('cancel-uas', { localIp: CALLEE_IP, localPort: bobPort, service: 'bob', timeoutMs: 20_000 });
    const uac = await runSipp('cancel-uac', { remote: ex.remote, service: 'bob' });
    const callee = await uas.done;
    expect(uac.code, `${uac.tail}\n${callee.tail}\n${ex.app.output()}`).toBe(0);
    expect(callee.code, callee.tail).toBe(0);
    expect(uac.received.filter((m) => m.status !== undefined && m.status >= 200).map((m) => [m.status, m.method])).toEqual([
      [200, 'CANCEL'],
      [487, 'INVITE'],
    ]);
    // The CANCEL the proxy sent matches its own INVITE: same request URI and top Via branch (RFC 3261 §9.1).
    const [invite, cancel] = ['INVITE', 'CANCEL'].map((method) => callee.received.find((m) => m.method === method)!);
    expect(cancel!.startLine.replace('CANCEL', 'INVITE')).toBe(invite!.startLine);
    const branchOf = (v: string | undefined) => /branch=([^;\s,]+)/.exec(v ?? '')?.[1];
    expect(branchOf(header(cancel!, 'via')[0])).toBe(branchOf(header(invite!, 'via')[0]));
    expect(header(cancel!, 'via').flatMap((v) => v.split(/,(?=\s*SIP\/)/))).toHaveLength(1);
  });

  it('answers 404 to an INVITE for a user the database does not know', async () => {
    const run = await ex.sipp('invite-404', { service: 'mallory' });
    const final = run.received.find((m) => m.status !== undefined && m.status >= 200)!;
    expect(final.startLine).toBe('SIP/2.0 404 Not Found');
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'INVITE', user: 'mallory', status: 404 });
  });

  it('answers 404 to a request URI with no user (sipsak OPTIONS)', async () => {
    const run = await runSipsak(['-s', 'sip:127.0.0.1', '-r', String(ex.port)]);
    const reply = run.replies.find((m) => m.status !== undefined && m.status >= 200);
    expect(reply?.status, run.tail).toBe(404);
    expect(header(reply!, 'cseq')).toEqual(['1 OPTIONS']);
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'OPTIONS', user: null, status: 404 });
  });
});
