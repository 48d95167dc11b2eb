/**
 * The classic package's stateless-registrar-redirector example
 * (apps/stateless-registrar-redirector.cjs) on the facade's `makeTransport`: no transaction layer,
 * each request answered straight back to where it came from. REGISTER (sipp over UDP and TCP) gets
 * 200 with its Contact, an INVITE for that user 302 to it, an unknown user 404; a retransmitted
 * REGISTER reaches the app a second time and is answered again (nothing absorbs it).
 * @see RFC 3261 §8.3, §10.3, §18.2.2 (responses over the connection or to the source)
 */
import { randomBytes } from 'node:crypto';
import { freePort } from '@sipts/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './harness/app.js';
import { ensureFacadeBuilt } from './harness/impl.js';
import { killPeers, runSipp } from './harness/sipp.js';
import { registerText, sendUdp } from './harness/udp.js';
import { addrUri, header } from './harness/wire.js';

describe('classic example: stateless registrar-redirector (makeTransport)', () => {
  let app: App | undefined;
  let port = 0;

  beforeAll(() => {
    ensureFacadeBuilt();
  }, 200_000);

  beforeAll(async () => {
    port = await freePort();
    app = await startApp('stateless-registrar-redirector', { SIP_PORT: String(port) }, port);
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
    const ok = reg.received.find((m) => m.status === 200)!;
    expect(header(ok, 'contact').map(addrUri)).toEqual(contact);
    expect(header(ok, 'call-id')).toEqual(header(reg.sent[0]!, 'call-id'));

    const call = await runSipp('invite-302', { remote: `127.0.0.1:${port}`, service: user, transport });
    expect(call.code, `${call.tail}\n${app!.output()}`).toBe(0);
    expect(header(call.received.find((m) => m.status === 302)!, 'contact').map(addrUri)).toEqual(contact);
    await expect.poll(() => app!.events().filter((e) => e.protocol === protocol).map((e) => [e.method, e.status])).toEqual([
      ['REGISTER', 200],
      ['INVITE', 302],
    ]);
  });

  it('answers 404 to an INVITE for a user who never registered', async () => {
    const run = await runSipp('invite-404', { remote: `127.0.0.1:${port}`, service: 'nobody' });
    expect(run.code, `${run.tail}\n${app!.output()}`).toBe(0);
    expect(run.received.find((m) => m.status !== undefined && m.status >= 200)?.startLine).toBe('SIP/2.0 404 Not Found');
  });

  it('hands a retransmitted REGISTER to the app again: two requests seen, two 200s', async () => {
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const replies = await sendUdp(port, (local) => registerText({ port, localPort: local, user: 'rita', branch, callId: `${branch}@127.0.0.1` }), { times: 2, gapMs: 300 });
    expect(replies.map((r) => r.status), app!.output()).toEqual([200, 200]);
    await expect.poll(() => app!.events().filter((e) => e.branch === branch)).toEqual([
      { method: 'REGISTER', branch, protocol: 'UDP', status: 200 },
      { method: 'REGISTER', branch, protocol: 'UDP', status: 200 },
    ]);
  });
});
