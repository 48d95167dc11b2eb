/**
 * The classic package's stateless-registrar-redirector example
 * (apps/stateless-registrar-redirector.cjs) on the facade's `makeTransport`: no transaction layer,
 * each request answered straight back to where it came from. REGISTER (sipp over UDP and TCP) gets
 * 200 with its Contact, an INVITE for that user 302 to it, an unknown user 404; a retransmitted
 * REGISTER reaches the app a second time and is answered again (nothing absorbs it).
 * @see RFC 3261 §8.3, §10.3, §18.2.2 (responses over the connection or to the source)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { REGISTER_CASES, registerThenRedirect } from './harness/register-then-redirect.js';
import { registerText, sendUdp } from './harness/udp.js';
import { useExampleApp } from './harness/use-example-app.js';
import { header } from './harness/wire.js';

describe('classic example: stateless registrar-redirector (makeTransport)', () => {
  const ex = useExampleApp('stateless-registrar-redirector');

  it.each(REGISTER_CASES)('registers (sipp, %s), then redirects an INVITE for that user to the registered Contact', async (transport, user, protocol) => {
    const { reg, ok } = await registerThenRedirect(ex, user, transport);
    expect(header(ok, 'call-id')).toEqual(header(reg.sent[0]!, 'call-id'));
    await expect.poll(() => ex.app.events().filter((e) => e.protocol === protocol).map((e) => [e.method, e.status])).toEqual([
      ['REGISTER', 200],
      ['INVITE', 302],
    ]);
  });

  it('answers 404 to an INVITE for a user who never registered', async () => {
    const run = await ex.sipp('invite-404', { service: 'nobody' });
    expect(run.received.find((m) => m.status !== undefined && m.status >= 200)?.startLine).toBe('SIP/2.0 404 Not Found');
  });

  it('hands a retransmitted REGISTER to the app again: two requests seen, two 200s', async () => {
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const replies = await sendUdp(ex.port, (local) => registerText({ port: ex.port, localPort: local, user: 'rita', branch, callId: `${branch}@127.0.0.1` }), { times: 2 });
    expect(replies.map((r) => r.status), ex.app.output()).toEqual([200, 200]);
    await expect.poll(() => ex.app.events().filter((e) => e.branch === branch)).toEqual([
      { method: 'REGISTER', branch, protocol: 'UDP', status: 200 },
      { method: 'REGISTER', branch, protocol: 'UDP', status: 200 },
    ]);
  });
});
