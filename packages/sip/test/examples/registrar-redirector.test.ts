/**
 * The classic package's registrar-redirector example (apps/registrar-redirector.cjs) on the
 * facade: a REGISTER (sipp over UDP and TCP) stores the Contact and is answered 200 with it; an
 * INVITE for that user is answered 302 with the registered Contact; an unknown user gets 404, an
 * OPTIONS 405 (sipsak). It runs on sip.start, so a retransmitted REGISTER is answered by its server
 * transaction and does not reach the app again.
 * @see RFC 3261 §10.3 (registrar), §8.3 (redirect), §17.2.2 (non-INVITE server transaction)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runSipsak } from './harness/sipsak.js';
import { REGISTER_CASES, registerThenRedirect } from './harness/register-then-redirect.js';
import { registerText, sendUdp } from './harness/udp.js';
import { useExampleApp } from './harness/use-example-app.js';
import { header } from './harness/wire.js';

describe('classic example: registrar-redirector', () => {
  const ex = useExampleApp('registrar-redirector');

  it.each(REGISTER_CASES)('registers (sipp, %s), then redirects an INVITE for that user to the registered Contact', async (transport, user, protocol) => {
    const { reg, ok, contact } = await registerThenRedirect(ex, user, transport);
    expect(contact).toEqual([`sip:${user}@127.0.0.1:${reg.localPort};transport=${protocol}`]);
    expect(header(ok, 'cseq')).toEqual(['1 REGISTER']);
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'REGISTER', protocol, status: 200 });
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'INVITE', protocol, status: 302 });
  });

  it('answers 404 to an INVITE for a user who never registered', async () => {
    const run = await ex.sipp('invite-404', { service: 'nobody' });
    expect(run.received.find((m) => m.status !== undefined && m.status >= 200)?.startLine).toBe('SIP/2.0 404 Not Found');
  });

  it('answers 405 to an OPTIONS (sipsak)', async () => {
    const run = await runSipsak(['-s', 'sip:alice@127.0.0.1', '-r', String(ex.port)]);
    const reply = run.replies.find((m) => m.status !== undefined && m.status >= 200);
    expect(reply?.status, run.tail).toBe(405);
    await expect.poll(() => ex.app.events()).toContainEqual({ method: 'OPTIONS', protocol: 'UDP', status: 405 });
  });

  it('answers a retransmitted REGISTER from its transaction: two 200s, one request seen by the app', async () => {
    const before = ex.app.events().length;
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const replies = await sendUdp(ex.port, (local) => registerText({ port: ex.port, localPort: local, user: 'rita', branch, callId: `${branch}@127.0.0.1` }), { times: 2 });
    expect(replies.map((r) => r.status), ex.app.output()).toEqual([200, 200]);
    expect(replies.every((r) => header(r, 'via')[0]?.includes(branch))).toBe(true);
    await expect.poll(() => ex.app.events().slice(before)).toEqual([{ method: 'REGISTER', protocol: 'UDP', status: 200 }]);
  });
});
