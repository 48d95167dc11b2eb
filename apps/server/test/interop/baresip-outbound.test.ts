/**
 * baresip 1.0.0 with `sipnat=outbound` (RFC 5626) against sipts-server over UDP and TCP: it
 * registers with `reg-id` and `+sip.instance`, gets `Require: outbound` and a `Flow-Timer` (3/4 of
 * the server's idle limit), and keeps its flow alive (STUN Binding requests on the SIP UDP port,
 * CRLF pings on TCP), which the server answers and counts in its metrics. The flow outlives the
 * idle limit that drops flows without keep-alives (test/outbound.test.ts shows that side): the
 * binding keeps its flow and baresip never has to register again. Counts, not sleeps: the test
 * waits for enough keep-alives to span more than the idle limit.
 *
 * libre (baresip's SIP library) pings a TCP flow at most every 20 s whatever Flow-Timer says (it
 * takes the larger of Flow-Timer and twice its 10 s pong timeout), so the TCP case runs with a
 * 24 s idle limit (4 s of margin over its 20 s) and lasts about 40 s; UDP follows Flow-Timer and runs with a 5 s limit.
 */
import { join } from 'node:path';
import { type Baresip, startBaresip, until } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORDS, REALM, metricsText, sample } from './server-harness.js';
import { useInteropServer } from './use-server.js';

/** The idle limit per transport, and the Flow-Timer the server derives from it (3/4). */
const IDLE = { udp: { seconds: 5, flowTimer: 3 }, tcp: { seconds: 24, flowTimer: 18 } } as const;
// baresip 1.0.0 cannot answer a SHA-256 challenge (see baresip.test.ts).
const MD5_ONLY = { auth: { algorithms: ['MD5'] } };
const fx = useInteropServer('sipts-server-outbound-', MD5_ONLY);

let phone: Baresip | undefined;
afterEach(async () => {
  await phone?.stop();
  phone = undefined;
});

describe('baresip with sipnat=outbound (RFC 5626)', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport.toUpperCase()}: registers as an outbound flow, keeps it alive past the idle limit, each keep-alive answered and counted`, { timeout: 90_000 }, async () => {
      const s = await fx.restart({ store: fx.store, overrides: { ...MD5_ONLY, limits: { connectionIdleSeconds: IDLE[transport].seconds } } });
      const port = transport === 'udp' ? s.udp : s.tcp;
      phone = await startBaresip(join(fx.work, `baresip-${transport}`), { user: 'alice', password: PASSWORDS.alice ?? '', domain: REALM, proxyPort: port, transport, sipnat: 'outbound' }, 80_000);
      const p = phone;
      const aor = `sip:alice@${REALM}`;
      await until(async () => (await fx.store.lookup(aor, Date.now())).length > 0, 10_000, `alice's binding\n${p.child.output().slice(-3000)}`);
      const [binding] = await fx.store.lookup(aor, Date.now());
      expect(binding?.regId, p.child.output().slice(-2000)).toBe(1);
      expect(binding?.instanceId).toMatch(/urn:uuid:/i);
      expect(binding?.flow?.protocol).toBe(transport.toUpperCase());
      const flowId = binding?.flow?.id;
      const flowTimer = new RegExp(`Flow-Timer: ${String(IDLE[transport].flowTimer)}\r?\n`);
      await until(() => flowTimer.test(p.child.output()) && /\[1 binding\]/.test(p.child.output()), 5000, 'baresip to log the 200 with Flow-Timer');
      const registers = sample(await metricsText(s.http), 'sipts_requests_total', { method: 'REGISTER' });

      // STUN: the first request goes out at once, then one per 80–100 % of 3 s: 4 span > 5 s.
      // CRLF: the first ping comes one interval (16–20 s) after the 200: 2 span > 24 s.
      const kind = transport === 'udp' ? 'stun' : 'crlf';
      const enough = transport === 'udp' ? 4 : 2;
      await until(async () => sample(await metricsText(s.http), 'sipts_keepalives_answered_total', { kind }) >= enough, 60_000, `${String(enough)} ${kind} keep-alives\n${p.child.output().slice(-2000)}`);

      const m = await metricsText(s.http);
      expect(sample(m, 'sipts_parse_errors_total')).toBe(0);
      expect(sample(m, 'sipts_requests_total', { method: 'REGISTER' })).toBe(registers);
      const after = await fx.store.lookup(aor, Date.now());
      expect(after.map((b) => b.flow?.id)).toEqual([flowId]);
      if (transport === 'tcp') expect(sample(m, 'sipts_active_flows')).toBe(1);
    });
  }
});
