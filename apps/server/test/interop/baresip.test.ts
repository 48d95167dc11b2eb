/**
 * A real softphone: Debian's baresip 1.0.0, headless (aubridge instead of an audio device,
 * controlled over its ctrl_tcp module), registers as alice with sipts-server (digest, 401 then
 * 200) and calls bob, a sipp UAS registered through the server; the call is answered, then hung
 * up by baresip (BYE through the server's Record-Route); and baresip registered as bob over TCP
 * (the server keeps its connection as the flow) answers a sipp UAC's call routed over that
 * connection. Signalling only. The servers run the embedded config's auth (SHA-256 and MD5): baresip
 * 1.0.0 cannot answer a challenge set that includes SHA-256, and the client table (auth.clients)
 * offers it MD5 only.
 */
import { join } from 'node:path';
import { type Baresip, startBaresip, until } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/index.js';
import { PASSWORDS, REALM, metricsText, sample } from './server-harness.js';
import { logged, startSipp, tail } from './sipp.js';
import { sippCall, sippRegister } from './sipp-users.js';
import { useInteropServer } from './use-server.js';

/**
 * baresip 1.0.0 (libre 1.1) gives up on a 401/407 that carries any challenge it cannot compute:
 * with a SHA-256 challenge next to the MD5 one, in either order, it logs "Register: Function not
 * implemented" and never answers (the last test shows it, without the client table). The
 * default client table offers User-Agents starting with "baresip" MD5 only.
 */
const EMBEDDED_AUTH = { auth: { algorithms: ['SHA-256', 'MD5'], requests: true } };

let phone: Baresip | undefined;
const fx = useInteropServer('sipts-server-baresip-', EMBEDDED_AUTH);

// Runs before the server is stopped (hooks in stack order).
afterEach(async () => {
  await phone?.stop();
  phone = undefined;
});

const isEvent = (type: string) => (m: Record<string, unknown>): boolean => m.event === true && m.type === type;

describe('baresip (headless) through sipts-server', () => {
  it('registers as alice and calls bob, a sipp UAS registered through the server', async () => {
    const s = fx.server;
    const reg = await sippRegister(fx.work, `127.0.0.1:${String(s.udp)}`, 'bob');
    const registered = await reg.done;
    expect(registered.code, tail(registered)).toBe(0);
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', port: reg.port, service: 'bob', timeoutMs: 30_000 });

    phone = await startBaresip(join(fx.work, 'baresip'), { user: 'alice', password: PASSWORDS.alice ?? '', domain: REALM, proxyPort: s.udp });
    const p = phone;
    // The server took the REGISTER through to its 200 (baresip may register before the control
    // connection is up, so its REGISTER_OK event is not awaited): alice's binding is baresip's address.
    await until(async () => (await fx.store.lookup(`sip:alice@${REALM}`, Date.now())).length > 0, 10_000, `alice's binding\n${p.child.output().slice(-3000)}`);
    const alice = await fx.store.lookup(`sip:alice@${REALM}`, Date.now());
    expect(alice.map((b) => b.contact)).toEqual([expect.stringContaining(`127.0.0.1:${String(p.sipPort)}`)]);
    await until(() => p.child.output().includes('200 OK') && /\[1 binding\]/.test(p.child.output()), 5000, 'baresip to log its registration');

    p.command(`dial sip:bob@${REALM}`);
    await p.waitFor(isEvent('CALL_ESTABLISHED'), 10_000, 'baresip CALL_ESTABLISHED');
    p.command('hangup');
    const b = await uas.done;
    expect(b.code, `${tail(b)}\n${p.child.output().slice(-3000)}`).toBe(0);
    expect(b.successful, tail(b)).toBe(1);
    // The INVITE came from the server (its Record-Route and Via), and so did baresip's BYE.
    const here = `127.0.0.1:${String(s.udp)}`;
    expect(logged(b, 'UAS-INVITE rr')[0], tail(b)).toContain(here);
    expect(logged(b, 'UAS-BYE via')[0], tail(b)).toContain(here);
    await until(() => p.messages.some(isEvent('CALL_CLOSED')), 5000, 'baresip CALL_CLOSED');

    const m = await metricsText(s.http);
    expect(sample(m, 'sipts_responses_total', { code: '401' })).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sipts_responses_total', { code: '407' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'sipts_requests_total', { method: 'BYE' })).toBeGreaterThanOrEqual(1);
  });

  it('registers as bob over TCP and answers a call from a sipp UAC (alice, UDP) routed over its connection', async () => {
    const s = fx.server;
    phone = await startBaresip(join(fx.work, 'baresip-bob'), { user: 'bob', password: PASSWORDS.bob ?? '', domain: REALM, proxyPort: s.tcp, transport: 'tcp' });
    const p = phone;
    await until(async () => (await fx.store.lookup(`sip:bob@${REALM}`, Date.now())).length > 0, 10_000, `bob's binding\n${p.child.output().slice(-3000)}`);
    const bob = await fx.store.lookup(`sip:bob@${REALM}`, Date.now());
    expect(bob.map((b) => b.flow?.protocol)).toEqual(['TCP']);

    const uac = await sippCall(fx.work, `127.0.0.1:${String(s.udp)}`, 'call-uac.xml');
    await p.waitFor(isEvent('CALL_INCOMING'), 10_000, 'baresip CALL_INCOMING');
    p.command('accept');
    const r = await uac.done;
    expect(r.code, `${tail(r)}\n${p.child.output().slice(-3000)}`).toBe(0);
    expect(r.successful, tail(r)).toBe(1);
    // The server record-routes (its UDP and TCP ports differ here, so it may add one entry per side).
    expect(logged(r, 'UAC-200 record-route')[0], tail(r)).toMatch(new RegExp(`127\\.0\\.0\\.1:(${String(s.udp)}|${String(s.tcp)})\\b`));
    // alice's BYE reached baresip through the server.
    await until(() => p.messages.some(isEvent('CALL_CLOSED')), 5000, 'baresip CALL_CLOSED');
  });

  it('without the client table it cannot register when SHA-256 is offered too: libre answers ENOSYS ("Function not implemented")', async () => {
    const mixed = createMemoryStore();
    const server = await fx.restart({ store: mixed, overrides: { auth: { algorithms: ['MD5', 'SHA-256'], clients: [] } } });
    phone = await startBaresip(join(fx.work, 'baresip-mixed'), { user: 'alice', password: PASSWORDS.alice ?? '', domain: REALM, proxyPort: server.udp });
    const p = phone;
    await until(() => p.child.output().includes('Function not implemented'), 10_000, 'baresip to give up on the challenge');
    expect(await mixed.lookup(`sip:alice@${REALM}`, Date.now())).toEqual([]);
  });
});
