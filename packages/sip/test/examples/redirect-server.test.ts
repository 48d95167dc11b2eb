/**
 * The redirect server of the classic API documentation (apps/redirect-server.cjs), on the facade:
 * every request is answered 302 with a Contact that is the request URI moved to the backup host.
 * Driven by sipp (INVITE over UDP and TCP, with the ACK for the 302) and sipsak (OPTIONS).
 * @see RFC 3261 §8.3 (redirect servers), §17.2.1 (the ACK for a non-2xx stays in the transaction)
 */
import { describe, expect, it } from 'vitest';
import { CLASSIC } from './harness/impl.js';
import { runSipp } from './harness/sipp.js';
import { runSipsak } from './harness/sipsak.js';
import { useExampleApp } from './harness/use-example-app.js';
import { addrUri, header } from './harness/wire.js';

const BACKUP = 'backup.example.net';

describe('classic API example: the redirect server', () => {
  const ex = useExampleApp('redirect-server', () => ({ BACKUP_HOST: BACKUP }));

  it.each(['u1', 't1'] as const)('answers an INVITE (sipp, %s) with 302 and the request URI on the backup host', async (transport) => {
    const before = ex.app.events().length;
    const run = await ex.sipp('invite-302', { service: 'alice', transport });
    expect(run.successful).toBe(1);
    const invite = run.sent.find((m) => m.method === 'INVITE')!;
    const final = run.received.find((m) => m.status === 302)!;
    expect(final.startLine).toBe('SIP/2.0 302 Moved Temporarily');
    expect(header(final, 'contact').map(addrUri)).toEqual([`sip:alice@${BACKUP}:${ex.port}`]);
    // The dialog identifiers come back unchanged (RFC 3261 §8.2.6.2).
    for (const h of ['call-id', 'cseq', 'from']) expect(header(final, h)).toEqual(header(invite, h));
    // RFC 3261 §8.2.6.2: the app's 302 has no To tag; the facade adds one (the classic package did not).
    if (!CLASSIC) expect(header(final, 'to')[0]).toMatch(/^<sip:alice@[^>]+>;tag=\w+$/);
    expect(header(final, 'via')).toHaveLength(1);
    expect(header(final, 'via')[0]).toContain(header(invite, 'via')[0]!.split(';branch=')[1]!.split(';')[0]!);
    // The app saw the INVITE once; the ACK for the 302 stayed in the INVITE server transaction.
    await expect.poll(() => ex.app.events().slice(before)).toEqual([{ method: 'INVITE', status: 302, contact: `sip:alice@${BACKUP}:${ex.port}` }]);
  });

  it('redirects three calls in a row, each to its own request URI', async () => {
    const run = await runSipp('invite-302', { remote: ex.remote, service: 'carol', calls: 3 });
    expect(run.code, run.tail).toBe(0);
    expect(run.successful).toBe(3);
    const finals = run.received.filter((m) => m.status === 302);
    expect(finals).toHaveLength(3);
    expect(new Set(finals.map((m) => header(m, 'call-id')[0])).size).toBe(3);
    for (const f of finals) expect(header(f, 'contact').map(addrUri)).toEqual([`sip:carol@${BACKUP}:${ex.port}`]);
  });

  it('sends the 302 once over TCP while the ACK is late (no Timer G on a reliable transport), and retransmits it over UDP', async () => {
    // The classic package retransmits over TCP too (Timer G on streams; packages/sip/README.md `timers`), and
    // sipp aborts the call on the second 302 over TCP.
    if (!CLASSIC) {
      const tcp = await runSipp('invite-302-late-ack', { remote: ex.remote, service: 'dave', transport: 't1' });
      expect(tcp.code, tcp.tail).toBe(0);
      expect(tcp.received.filter((m) => m.status === 302)).toHaveLength(1);
    }
    const udp = await runSipp('invite-302-late-ack', { remote: ex.remote, service: 'dave', transport: 'u1' });
    expect(udp.code, udp.tail).toBe(0);
    // Timer G: at 0.5 s and 1.5 s after the first (RFC 3261 §17.2.1, T1 = 500 ms).
    expect(udp.received.filter((m) => m.status === 302).length).toBeGreaterThanOrEqual(2);
    // The retransmissions are the same response: one To tag (RFC 3261 §8.2.6.2).
    if (!CLASSIC) expect(new Set(udp.received.filter((m) => m.status === 302).map((m) => header(m, 'to')[0])).size).toBe(1);
  });

  it('redirects an OPTIONS too (sipsak), keeping the request URI without a port', async () => {
    const run = await runSipsak(['-s', 'sip:bob@127.0.0.1', '-r', String(ex.port), '--ignore-redirects']);
    const reply = run.replies.find((m) => m.status !== undefined && m.status >= 200);
    expect(reply?.status, run.tail).toBe(302);
    expect(header(reply!, 'contact').map(addrUri)).toEqual([`sip:bob@${BACKUP}`]);
    expect(header(reply!, 'cseq')).toEqual(['1 OPTIONS']);
  });
});
