/**
 * The classic package's registrar-proxy example (apps/registrar-proxy.cjs) on the facade's proxy
 * module: a callee (sipp on 127.0.0.2) registers, then a call for it is answered 100 Trying by the
 * app and proxied to the registered Contact, where the callee answers; the ACK and BYE follow. A
 * call for a user who has not registered gets 404.
 * @see RFC 3261 §10.3 (registrar), §16 (proxy), §16.2 (100 Trying)
 */
import { freePort } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { runSipp, startSippUas } from './harness/sipp.js';
import { useExampleApp } from './harness/use-example-app.js';
import { addrUri, header } from './harness/wire.js';

const CALLEE_IP = '127.0.0.2';

describe('classic example: registrar-proxy', () => {
  const ex = useExampleApp('registrar-proxy');

  it('registers a callee, then proxies a call to its Contact (100 Trying from the app first)', async () => {
    const calleePort = await freePort(CALLEE_IP);
    const reg = await ex.sipp('register', { service: 'bob', localIp: CALLEE_IP, localPort: calleePort });
    const ok = reg.received.find((m) => m.status === 200)!;
    expect(header(ok, 'to')[0]).toMatch(/;tag=[0-9a-f]{12}$/);
    expect(header(ok, 'contact').map(addrUri)).toEqual([`sip:bob@${CALLEE_IP}:${calleePort};transport=UDP`]);

    const uas = await startSippUas('call-uas', { localIp: CALLEE_IP, localPort: calleePort, service: 'bob', timeoutMs: 20_000 });
    const uac = await runSipp('call-uac', { remote: ex.remote, service: 'bob' });
    const callee = await uas.done;
    expect(uac.code, `${uac.tail}\n${callee.tail}\n${ex.app.output()}`).toBe(0);
    expect(callee.code, callee.tail).toBe(0);
    expect(uac.received.filter((m) => m.method === 'INVITE').map((m) => m.status)).toEqual(expect.arrayContaining([100, 180, 200]));
    const trying = uac.received.find((m) => m.status === 100)!;
    expect(header(trying, 'to')[0]).not.toMatch(/;tag=/);
    const invite = callee.received.find((m) => m.method === 'INVITE')!;
    expect(invite.startLine).toBe(`INVITE sip:bob@${CALLEE_IP}:${calleePort};transport=UDP SIP/2.0`);
    expect(callee.received.map((m) => m.method)).toEqual(['INVITE', 'ACK', 'BYE']);
    await expect.poll(() => ex.app.events().map((e) => e.method)).toEqual(['REGISTER', 'INVITE', 'ACK', 'BYE']);
  });

  it('answers 404 to a call for a user who has not registered', async () => {
    await ex.sipp('invite-404', { service: 'nobody' });
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'INVITE', user: 'nobody', status: 404 });
  });
});
