/**
 * Real peers on 127.0.0.1: Debian's sipp as UAC → our proxy (createProxyStack, Record-Route on)
 * → sipp as UAS (scenarios in fixtures/sipp), over UDP and TCP: a call whose ACK and BYE
 * traverse the proxy, INVITE then CANCEL (487), Max-Forwards 0 (483), a loop (482), parallel
 * forking (486 + 200: the UAC sees the 200 only), sequential forking past a target that only
 * rings (Timer C), a UDP UAC to a TCP UAS; and kamailio (tm) as the next hop. Every run asserts
 * sipp's exit code and its successful and failed call counts, on both sides.
 * @see RFC 3261 §16
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SipRequest } from '@sipts/message';
import { killChildren, until } from '@sipts/test-peers';
import { createDefaultClock, type TimerValues } from '@sipts/transaction';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ForwardTarget, Proxy } from '../src/index.js';
import { createProxyStack, type ProxyStackInstance, type ProxyStackOptions } from '../src/node/index.js';
import { startKamailio, startSipp, tail, type Kamailio, type Proto, type Sipp, type SippRun } from './interop-peers.js';

/** Small timers: sipp's XML retransmits at 50 ms too. */
const TIMERS: TimerValues = { T1: 50, T2: 400, T4: 500 };
const CALLS = 5;

let work = '';
let proxy: ProxyStackInstance | undefined;
let kamailio: Kamailio | undefined;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'sipts-proxy-interop-'));
});

afterEach(async () => {
  killChildren();
  await kamailio?.stop();
  kamailio = undefined;
  await proxy?.stop();
  proxy = undefined;
  rmSync(work, { recursive: true, force: true });
});

/** What the proxy's route callback saw, by method. */
type Seen = Map<string, number>;

/**
 * Starts the proxy (Record-Route on): requests in a dialog and ACKs follow their Route or
 * Request-URI; new requests go to `targets()` (none: their own Request-URI).
 */
async function startProxy(targets: () => (string | ForwardTarget)[], mode: 'parallel' | 'sequential' = 'parallel', options: Partial<ProxyStackOptions> = {}): Promise<{ port: (p: Proto) => number; seen: Seen; contexts: () => number }> {
  const seen: Seen = new Map();
  const ref: { proxy?: Proxy } = {};
  const instance = createProxyStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 }, timers: TIMERS, clock: createDefaultClock(), recordRoute: true, ...options }, (rq: SipRequest) => {
    seen.set(rq.method, (seen.get(rq.method) ?? 0) + 1);
    const p = ref.proxy;
    if (p === undefined) return;
    const tag = rq.headers.to?.params.tag;
    if (rq.method === 'ACK' || (typeof tag === 'string' && tag !== '')) {
      p.send(rq);
      return;
    }
    const t = targets();
    p.send(rq, t.length > 0 ? { targets: t, mode } : {});
  });
  ref.proxy = instance.proxy;
  proxy = instance;
  await instance.start();
  const port = (p: Proto): number => {
    const l = instance.stack.transport.listening.find((x) => x.protocol === p);
    if (l === undefined) throw new Error(`no ${p} listener`);
    return l.port;
  };
  return { port, seen, contexts: () => instance.proxy.contexts };
}

function uasUri(uas: Sipp, protocol: Proto): string {
  return `sip:service@127.0.0.1:${String(uas.port)}${protocol === 'TCP' ? ';transport=tcp' : ''}`;
}

function uas(file: string, protocol: Proto, calls = CALLS): Promise<Sipp> {
  return startSipp(work, { scenario: { file }, protocol, calls });
}

async function uac(file: string, protocol: Proto, proxyPort: number, calls = CALLS, extra: string[] = []): Promise<SippRun> {
  const s = await startSipp(work, { scenario: { file }, protocol, calls, remote: `127.0.0.1:${String(proxyPort)}`, extra });
  return s.done;
}

/** Every call of a sipp run succeeded, and sipp exited 0. */
function allPassed(r: SippRun, calls = CALLS): void {
  expect(r.code, tail(r)).toBe(0);
  expect(r.successful, tail(r)).toBe(calls);
  expect(r.failed, tail(r)).toBe(0);
}

describe.each(['UDP', 'TCP'] as const)('sipp UAC → proxy → sipp UAS over %s', (protocol) => {
  it('INVITE/180/200/ACK/BYE with Record-Route: the ACK and the BYE traverse the proxy', async () => {
    const b = await uas('call-uas.xml', protocol);
    const p = await startProxy(() => [uasUri(b, protocol)]);
    allPassed(await uac('call-uac.xml', protocol, p.port(protocol)));
    allPassed(await b.done);
    expect(Object.fromEntries(p.seen)).toEqual({ INVITE: CALLS, ACK: CALLS, BYE: CALLS });
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });

  it('INVITE then CANCEL: the UAS gets the CANCEL and its 487 reaches the UAC', async () => {
    const b = await uas('ringing-uas.xml', protocol);
    const p = await startProxy(() => [uasUri(b, protocol)]);
    allPassed(await uac('cancel-uac.xml', protocol, p.port(protocol)));
    allPassed(await b.done);
    // The CANCEL is the transaction layer's: the route callback sees only the INVITE (and no ACK of the 487).
    expect(Object.fromEntries(p.seen)).toEqual({ INVITE: CALLS });
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });

  it('Max-Forwards 0: 483, and nothing reaches the route callback', async () => {
    const p = await startProxy(() => ['sip:nobody@127.0.0.1:9']);
    allPassed(await uac('maxfwd-uac.xml', protocol, p.port(protocol)));
    expect(p.seen.size).toBe(0);
    expect(p.contexts()).toBe(0);
  });

  it('a request routed back to the proxy itself: 482 reaches the UAC', async () => {
    // The callback sends every INVITE to the proxy's own address, on the UAC's transport.
    const ref: { self?: string } = {};
    const p = await startProxy(() => [ref.self ?? '']);
    ref.self = `sip:service@127.0.0.1:${String(p.port(protocol))}${protocol === 'TCP' ? ';transport=tcp' : ''}`;
    allPassed(await uac('loop-uac.xml', protocol, p.port(protocol)));
    // Over UDP the sipp Request-URI already is that address: the second pass is the loop. Over TCP
    // it lacks ;transport=tcp: one spiral, and the third pass is the loop. Loops never reach the callback.
    expect(p.seen.get('INVITE')).toBe(protocol === 'UDP' ? CALLS : 2 * CALLS);
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });

  it('parallel forking to a UAS answering 486 and one answering 200: the UAC sees the 200 only', async () => {
    const busy = await uas('busy-uas.xml', protocol);
    const ok = await uas('call-uas.xml', protocol);
    const p = await startProxy(() => [uasUri(busy, protocol), uasUri(ok, protocol)]);
    allPassed(await uac('call-uac.xml', protocol, p.port(protocol)));
    allPassed(await busy.done);
    allPassed(await ok.done);
    expect(Object.fromEntries(p.seen)).toEqual({ INVITE: CALLS, ACK: CALLS, BYE: CALLS });
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });

  it('sequential forking: the first target only rings, Timer C cancels it, the second answers', async () => {
    const ringing = await uas('ringing-uas.xml', protocol);
    const ok = await uas('call-uas.xml', protocol);
    const p = await startProxy(() => [{ uri: uasUri(ok, protocol), q: 0.5 }, { uri: uasUri(ringing, protocol), q: 1 }], 'sequential', { timerC: 800 });
    allPassed(await uac('call-uac.xml', protocol, p.port(protocol)));
    allPassed(await ringing.done);
    allPassed(await ok.done);
    expect(Object.fromEntries(p.seen)).toEqual({ INVITE: CALLS, ACK: CALLS, BYE: CALLS });
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });
});

describe('bridging and other proxies', () => {
  it('a UDP UAC to a TCP UAS (double Record-Route): the ACK and the BYE traverse the proxy', async () => {
    const b = await uas('call-uas.xml', 'TCP');
    const p = await startProxy(() => [uasUri(b, 'TCP')]);
    allPassed(await uac('call-uac.xml', 'UDP', p.port('UDP')));
    allPassed(await b.done);
    expect(Object.fromEntries(p.seen)).toEqual({ INVITE: CALLS, ACK: CALLS, BYE: CALLS });
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });

  it('kamailio (tm) as the next hop: sipp UAC → proxy → kamailio → sipp UAS, every call completes', async () => {
    const b = await uas('call-uas.xml', 'UDP');
    kamailio = await startKamailio(work);
    const next = { protocol: 'UDP' as const, address: '127.0.0.1', port: kamailio.port };
    const p = await startProxy(() => [{ uri: uasUri(b, 'UDP'), target: next }]);
    allPassed(await uac('call-uac.xml', 'UDP', p.port('UDP')));
    allPassed(await b.done);
    expect(Object.fromEntries(p.seen)).toEqual({ INVITE: CALLS, ACK: CALLS, BYE: CALLS });
    // kamailio relayed every INVITE (it does not Record-Route, so the ACK and BYE skip it).
    const relayed = kamailio.output().match(/sipts-interop: INVITE /g) ?? [];
    expect(relayed.length, kamailio.output().slice(-2000)).toBe(CALLS);
    await until(() => p.contexts() === 0, 5000, 'no proxy context left');
  });
});

describe('the checks can fail', () => {
  it('a UAC expecting a 200 fails every call when the only target answers 486', async () => {
    const busy = await uas('busy-uas.xml', 'TCP', 3);
    const p = await startProxy(() => [uasUri(busy, 'TCP')]);
    const r = await uac('call-uac.xml', 'TCP', p.port('TCP'), 3);
    expect(r.code).not.toBe(0);
    expect(r.successful).toBe(0);
    expect(r.failed).toBe(3);
  });
});
