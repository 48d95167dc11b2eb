/**
 * The classic package's registrar-redirector example (apps/registrar-redirector.cjs) on the
 * facade: a REGISTER (sipp over UDP and TCP) stores the Contact and is answered 200 with it; an
 * INVITE for that user is answered 302 with the registered Contact; an unknown user gets 404, an
 * OPTIONS 405 (sipsak). It runs on sip.start, so a retransmitted REGISTER is answered by its server
 * transaction and does not reach the app again.
 * @see RFC 3261 §10.3 (registrar), §8.3 (redirect), §17.2.2 (non-INVITE server transaction)
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness/app.js';
import { ensureFacadeBuilt } from './harness/impl.js';
import { killPeers, runSipp } from './harness/sipp.js';
import { runSipsak } from './harness/sipsak.js';
import { registerText, sendUdp } from './harness/udp.js';
import { addrUri, header } from './harness/wire.js';

describe('classic example: registrar-redirector', () => {
  let app: App | undefined;
  let port = 0;

  beforeAll(() => {
    ensureFacadeBuilt();
  }, 200_000);

  beforeAll(async () => {
    port = await freePort();
    app = await startApp('registrar-redirector', { SIP_PORT: String(port) }, port);
  });

  afterAll(async () => {
    killPeers();
    await app?.stop();
  });

  it.each([
    ['u1', 'alice', 'UDP'],
    ['t1', 'tom', 'TCP'],
  ] as const)('registers (sipp, %s), then redirects an INVITE for that user to the registered Contact', async (transport, user, protocol) => {
    const reg = await runSipp('register', { remote: `127.0.0.1:${port}`, service: user, transport });
    expect(reg.code, `${reg.tail}\n${app!.output()}`).toBe(0);
    const contact = header(reg.sent[0]!, 'contact').map(addrUri);
    expect(contact).toEqual([`sip:${user}@127.0.0.1:${reg.localPort};transport=${protocol}`]);
    const ok = reg.received.find((m) => m.status === 200)!;
    expect(header(ok, 'contact').map(addrUri)).toEqual(contact);
    expect(header(ok, 'cseq')).toEqual(['1 REGISTER']);

    const call = await runSipp('invite-302', { remote: `127.0.0.1:${port}`, service: user, transport });
    expect(call.code, `${call.tail}\n${app!.output()}`).toBe(0);
    const moved = call.received.find((m) => m.status === 302)!;
    expect(header(moved, 'contact').map(addrUri)).toEqual(contact);
    await expect.poll(() => app!.events()).toContainEqual({ method: 'REGISTER', protocol, status: 200 });
    await expect.poll(() => app!.events()).toContainEqual({ method: 'INVITE', protocol, status: 302 });
  });

  it('answers 404 to an INVITE for a user who never registered', async () => {
    const run = await runSipp('invite-404', { remote: `127.0.0.1:${port}`, service: 'nobody' });
    expect(run.code, `${run.tail}\n${app!.output()}`).toBe(0);
    expect(run.received.find((m) => m.status !== undefined && m.status >= 200)?.startLine).toBe('SIP/2.0 404 Not Found');
  });

  it('answers 405 to an OPTIONS (sipsak)', async () => {
    const run = await runSipsak(['-s', 'sip:alice@127.0.0.1', '-r', String(port)]);
    const reply = run.replies.find((m) => m.status !== undefined && m.status >= 200);
    expect(reply?.status, run.tail).toBe(405);
    await expect.poll(() => app!.events()).toContainEqual({ method: 'OPTIONS', protocol: 'UDP', status: 405 });
  });

  it('answers a retransmitted REGISTER from its transaction: two 200s, one request seen by the app', async () => {
    const before = app!.events().length;
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const replies = await sendUdp(port, (local) => registerText({ port, localPort: local, user: 'rita', branch, callId: `${branch}@127.0.0.1` }), { times: 2, gapMs: 300 });
    expect(replies.map((r) => r.status), app!.output()).toEqual([200, 200]);
    expect(replies.every((r) => header(r, 'via')[0]?.includes(branch))).toBe(true);
    await expect.poll(() => app!.events().slice(before)).toEqual([{ method: 'REGISTER', protocol: 'UDP', status: 200 }]);
  });
});
