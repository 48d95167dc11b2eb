/**
 * Issue 16's relay, spoofing, ACK, Route and flood cases with Debian's sipp (3.6.1) as the
 * attacker, against an in-process server on loopback. The "foreign" hosts are 127.0.0.2 (a raw
 * UDP responder that stands for any host the attacker wants to reach, and for bob's phone) and
 * 127.0.0.3 (the flood's own source address). Every run is bounded in calls and time; the flood
 * asserts counts (the server's clock is frozen, so exactly one burst is admitted), not timings.
 * Each case failed before issue 16 (relayed; reached bob unauthenticated; ACK relayed; sent along
 * the caller's Route with its P-Asserted-Identity; all 300 INVITEs forwarded).
 */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../../src/store/index.js';
import { options, statusOf, udpPeer, udpResponder, type UdpPeer } from './raw.js';
import { REALM, metricsText, sample } from './server-harness.js';
import { logged, startSipp, tail, type SippRun } from './sipp.js';
import { useInteropServer } from './use-server.js';

const fx = useInteropServer('sipts-server-trust-', { limits: { shutdownGraceSeconds: 0 } });

function remote(): string {
  return `127.0.0.1:${String(fx.server.udp)}`;
}

function serverRoute(): string {
  return `<sip:127.0.0.1:${String(fx.server.udp)};lr>`;
}

/** bob's phone: a binding at `peer` (127.0.0.2), as if bob had registered from there. */
async function bobAt(peer: UdpPeer): Promise<void> {
  const now = Date.now();
  const contact = `sip:bob@127.0.0.2:${String(peer.port)}`;
  const b: Binding = { aor: `sip:bob@${REALM}`, key: contact, contact, q: 1, expiresAt: now + 3_600_000, callId: 'seed', cseq: 1, path: [], owner: 'seed', source: 'UDP:127.0.0.2:1' };
  await fx.store.update(b.aor, { put: [b], remove: [] }, now);
}

function methods(peer: UdpPeer): string[] {
  return peer.received.filter((t) => !t.startsWith('SIP/2.0')).map((t) => t.split(' ')[0] ?? '');
}

async function sipp(scenario: string, keys: Record<string, string>, service = 'bob'): Promise<SippRun> {
  return (await startSipp(fx.work, { scenario, remote: remote(), service, keys: { domain: REALM, ...keys }, timeoutMs: 10_000 })).done;
}

function passed(r: SippRun): void {
  expect(r.code, tail(r)).toBe(0);
  expect(r.successful, tail(r)).toBe(1);
}

describe('sipp as an attacker', () => {
  it('finding 1: a forged in-dialog INVITE to a foreign host is refused 403, nothing reaches it', async () => {
    const victim = await udpResponder('127.0.0.2');
    try {
      const r = await sipp('forged-invite.xml', { ruri: `sip:900@127.0.0.2:${String(victim.port)}`, from: 'sip:x@example.org', route: serverRoute() });
      passed(r);
      expect(logged(r, 'FINAL')).toEqual(['403']);
      expect(methods(victim)).toEqual([]);
    } finally {
      await victim.close();
    }
  });

  it('finding 2: an INVITE from alice with a To tag, and one from alice@127.1, are challenged 407, not sent to bob', async () => {
    const phone = await udpResponder('127.0.0.2');
    try {
      await bobAt(phone);
      for (const from of [`sip:alice@${REALM}`, 'sip:alice@127.1', 'sip:alice@[::ffff:127.0.0.1]']) {
        const r = await sipp('forged-invite.xml', { ruri: `sip:bob@${REALM}`, from, route: serverRoute() });
        passed(r);
        expect(logged(r, 'FINAL'), from).toEqual(['407']);
      }
      expect(methods(phone)).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('finding 3: a lone ACK is not relayed; the MESSAGE sent after it is the first thing the host sees', async () => {
    const host = await udpResponder('127.0.0.2');
    try {
      await bobAt(host); // bob's binding is on the same host: the marker MESSAGE ends up there
      const r = await sipp('forged-ack.xml', { ruri: `sip:900@127.0.0.2:${String(host.port)}`, route: serverRoute() });
      passed(r);
      expect(methods(host)).toEqual(['MESSAGE']);
      expect(sample(await metricsText(fx.server.http), 'sipts_trust_total', { rule: 'ack-dropped' })).toBe(1);
    } finally {
      await host.close();
    }
  });

  it('findings 4 and 6: a caller’s Route and P-Asserted-Identity do not survive on a MESSAGE to bob', async () => {
    const phone = await udpResponder('127.0.0.2');
    const evil = await udpResponder('127.0.0.2');
    try {
      await bobAt(phone);
      const r = await sipp('message-with-route.xml', { route: `${serverRoute()},<sip:127.0.0.2:${String(evil.port)};lr>` });
      passed(r);
      expect(methods(evil)).toEqual([]);
      expect(methods(phone)).toEqual(['MESSAGE']);
      const atBob = phone.received[0] ?? '';
      expect(atBob).not.toMatch(/^route\s*:/im);
      expect(atBob).not.toMatch(/^p-asserted-identity\s*:/im);
    } finally {
      await phone.close();
      await evil.close();
    }
  });

  it('finding 7: 300 INVITEs from one address as fast as sipp sends them: one burst reaches bob, the rest is dropped', async () => {
    const frozen = Date.now();
    await fx.restart({ store: fx.store, overrides: { limits: { requestsPerSecondPerSource: 25, shutdownGraceSeconds: 0 } }, now: () => frozen });
    const phone = await udpResponder('127.0.0.2', 486);
    try {
      await bobAt(phone);
      const s = await startSipp(fx.work, { scenario: 'flood-invite.xml', remote: remote(), service: 'bob', keys: { domain: REALM }, calls: 300, rate: 1000, limit: 300, localIp: '127.0.0.3', timeoutMs: 15_000 });
      const r = await s.done;
      expect(r.successful, tail(r)).toBe(300);
      // Bounded wait until the server has taken all 300 in: 25 admitted, 275 refused.
      let m = '';
      for (let i = 0; i < 300; i++) {
        m = await metricsText(fx.server.http);
        if (sample(m, 'sipts_limited_total', { limit: 'requests-per-source' }) >= 275) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      expect(sample(m, 'sipts_limited_total', { limit: 'requests-per-source' })).toBe(275);
      for (let i = 0; i < 300 && new Set(phone.received.filter((t) => t.startsWith('INVITE')).map((t) => /^call-id\s*:\s*(.*)$/im.exec(t)?.[1])).size < 25; i++) await new Promise((res) => setTimeout(res, 20));
      const callIds = new Set(phone.received.filter((t) => t.startsWith('INVITE')).map((t) => /^call-id\s*:\s*(.*)$/im.exec(t)?.[1]));
      expect(callIds.size).toBe(25);
      // Another address (a health probe) is served as before.
      const probe = await udpPeer('127.0.0.1');
      try {
        await probe.send(options('UDP', fx.server.udp, probe.port), fx.server.udp);
        expect((await probe.collect(1, 5000)).map(statusOf)).toEqual([200]);
      } finally {
        await probe.close();
      }
    } finally {
      await phone.close();
    }
  });
});
