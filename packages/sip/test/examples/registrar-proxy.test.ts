/**
 * The classic package's registrar-proxy example (apps/registrar-proxy.cjs) on the facade's proxy
 * module: a callee (sipp on 127.0.0.2) registers, then a call for it is answered 100 Trying by the
 * app and proxied to the registered Contact, where the callee answers; the ACK and BYE follow. A
 * call for a user who has not registered gets 404.
 * @see RFC 3261 §10.3 (registrar), §16 (proxy), §16.2 (100 Trying)
 */
import { freePort } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness/app.js';
import { ensureFacadeBuilt } from './harness/impl.js';
import { killPeers, runSipp, startSippUas } from './harness/sipp.js';
import { addrUri, header } from './harness/wire.js';

const CALLEE_IP = '127.0.0.2';

describe('classic example: registrar-proxy', () => {
  let app: App | undefined;
  let port = 0;

  beforeAll(() => {
    ensureFacadeBuilt();
  }, 200_000);

  beforeAll(async () => {
    port = await freePort();
    app = await startApp('registrar-proxy', { SIP_PORT: String(port) }, port);
  });

  afterAll(async () => {
    killPeers();
    await app?.stop();
  });

  it('registers a callee, then proxies a call to its Contact (100 Trying from the app first)', async () => {
    const calleePort = await freePort(CALLEE_IP);
    const reg = await runSipp('register', { remote: `127.0.0.1:${port}`, service: 'bob', localIp: CALLEE_IP, localPort: calleePort });
    expect(reg.code, `${reg.tail}\n${app!.output()}`).toBe(0);
    const ok = reg.received.find((m) => m.status === 200)!;
    expect(header(ok, 'to')[0]).toMatch(/;tag=[0-9a-f]{12}$/);
    expect(header(ok, 'contact').map(addrUri)).toEqual([`sip:bob@${CALLEE_IP}:${calleePort};transport=UDP`]);

    const uas = await startSippUas('call-uas', { localIp: CALLEE_IP, localPort: calleePort, service: 'bob', timeoutMs: 20_000 });
    const uac = await runSipp('call-uac', { remote: `127.0.0.1:${port}`, service: 'bob' });
    const callee = await uas.done;
    expect(uac.code, `${uac.tail}\n${callee.tail}\n${app!.output()}`).toBe(0);
    expect(callee.code, callee.tail).toBe(0);
    expect(uac.received.filter((m) => m.method === 'INVITE').map((m) => m.status)).toEqual(expect.arrayContaining([100, 180, 200]));
    const trying = uac.received.find((m) => m.status === 100)!;
    expect(header(trying, 'to')[0]).not.toMatch(/;tag=/);
    const invite = callee.received.find((m) => m.method === 'INVITE')!;
    expect(invite.startLine).toBe(`INVITE sip:bob@${CALLEE_IP}:${calleePort};transport=UDP SIP/2.0`);
    expect(callee.received.map((m) => m.method)).toEqual(['INVITE', 'ACK', 'BYE']);
    await expect.poll(() => app!.events().map((e) => e.method)).toEqual(['REGISTER', 'INVITE', 'ACK', 'BYE']);
  });

  it('answers 404 to a call for a user who has not registered', async () => {
    const run = await runSipp('invite-404', { remote: `127.0.0.1:${port}`, service: 'nobody' });
    expect(run.code, `${run.tail}\n${app!.output()}`).toBe(0);
    await expect.poll(() => app!.events()).toContainEqual({ method: 'INVITE', user: 'nobody', status: 404 });
  });
});
