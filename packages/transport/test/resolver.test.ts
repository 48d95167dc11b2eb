/**
 * RFC 3263 resolver against a real DNS server (dnsmasq on loopback) with NAPTR, SRV, A and AAAA
 * records. Query counts come from dnsmasq's own query log.
 */
import { createSocket } from 'node:dgram';
import { SipError, parseUriOrThrow, type SipUri } from '@sipts/message';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createResolver, type ResolverOptions, type SipResolver } from '../src/node/resolver.js';
import { orderSrvRecords } from '../src/node/srv-order.js';
import type { Target } from '../src/types.js';
import { startDnsServer, type DnsServer, type LoggedQuery } from './dns-server.js';

const Z = 'sipts.test';
const naptr = (name: string, order: number, preference: number, service: string, replacement: string, flags = 's') =>
  ({ name: `${name}.${Z}`, order, preference, flags, service, replacement: replacement === '' ? '' : `${replacement}.${Z}` });
const srv = (owner: string, target: string, port: number, priority: number, weight: number) =>
  ({ owner: `${owner}.${Z}`, target: `${target}.${Z}`, port, priority, weight });
const host = (name: string, ipv4?: string, ipv6?: string, ttl?: number) => ({
  name: `${name}.${Z}`,
  ...(ipv4 === undefined ? {} : { ipv4 }),
  ...(ipv6 === undefined ? {} : { ipv6 }),
  ...(ttl === undefined ? {} : { ttl }),
});

let dns: DnsServer;
/** Names of *.sipts.test are in DNS only: the hosts-file fallback must find nothing for them. */
const lookupCalls: string[] = [];
const testLookup: NonNullable<ResolverOptions['lookup']> = (name) => {
  lookupCalls.push(name);
  return Promise.reject(Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
};
let clock = 0;
const make = (options: ResolverOptions = {}): SipResolver =>
  createResolver({ servers: [dns.address], lookup: testLookup, now: () => clock, timeoutMs: 1_000, ...options });
const t = (protocol: Target['protocol'], address: string, port: number, hostName: string): Target =>
  ({ protocol, address, port, host: hostName });
/** The two addresses of aonly.sipts.test (A, then AAAA) as targets. */
const aonly = (protocol: Target['protocol'], port: number): Target[] =>
  [t(protocol, '127.0.0.81', port, `aonly.${Z}`), t(protocol, '::81', port, `aonly.${Z}`)];
const count = (qs: LoggedQuery[], type: string, name: string): number => qs.filter((q) => q.type === type && q.name === name).length;

beforeAll(async () => {
  dns = await startDnsServer({
    domains: [Z],
    naptr: [
      // example: TLS first (order 10); at order 20, UDP (preference 5) before TCP (preference 10); WS last.
      naptr('example', 10, 10, 'SIPS+D2T', '_sips._tcp.example'),
      naptr('example', 20, 10, 'SIP+D2T', '_sip._tcp.example'),
      naptr('example', 20, 5, 'SIP+D2U', '_sip._udp.example'),
      naptr('example', 40, 10, 'SIP+D2W', '_sip._ws.example'),
      naptr('example', 1, 10, 'SIP+D2S', '_sip._sctp.example'), // SCTP: not ours
      naptr('example', 2, 10, 'SIP+D2U', '_sip._udp.example', 'a'), // flag a: not an SRV pointer
      // secure: a domain that prefers sips
      naptr('secure', 10, 10, 'SIPS+D2T', '_sips._tcp.secure'),
      naptr('secure', 20, 10, 'SIP+D2U', '_sip._udp.secure'),
      naptr('secure', 30, 10, 'SIPS+D2W', '_sips._ws.secure'),
    ],
    srv: [
      srv('_sips._tcp.example', 'tls1', 5061, 10, 0),
      srv('_sip._tcp.example', 'tcp-a', 5060, 10, 0),
      srv('_sip._tcp.example', 'tcp-b', 5080, 20, 0),
      srv('_sip._udp.example', 'udp-a', 5060, 10, 1),
      srv('_sip._udp.example', 'udp-b', 5062, 5, 1),
      srv('_sip._ws.example', 'ws1', 8080, 10, 0),
      srv('_sips._tcp.secure', 'sec1', 5061, 10, 0),
      srv('_sip._udp.secure', 'sec-udp', 5060, 10, 0),
      srv('_sips._ws.secure', 'sec-wss', 443, 10, 0),
      srv('_sip._udp.srvonly', 'so-udp', 5070, 10, 0),
      srv('_sip._tcp.srvonly', 'so-tcp', 5071, 10, 0),
      srv('_sips._tcp.srvonly', 'so-tls', 5072, 10, 0),
      srv('_sip._udp.weighted', 'w-heavy', 5060, 10, 3),
      srv('_sip._udp.weighted', 'w-light', 5060, 10, 1),
      srv('_sip._udp.weighted', 'w-zero', 5060, 10, 0),
      srv('_sip._udp.weighted', 'w-backup', 5060, 20, 5),
    ],
    hosts: [
      host('tls1', '127.0.0.21', '::21'),
      host('tcp-a', '127.0.0.31'),
      host('tcp-b', undefined, '::32'),
      host('udp-a', '127.0.0.41'),
      host('udp-b', '127.0.0.42'),
      host('ws1', '127.0.0.51'),
      host('sec1', '127.0.0.61'),
      host('sec-udp', '127.0.0.62'),
      host('sec-wss', '127.0.0.63'),
      host('so-udp', '127.0.0.71'),
      host('so-tcp', '127.0.0.72'),
      host('so-tls', '127.0.0.73'),
      host('aonly', '127.0.0.81', '::81'),
      host('v6only', undefined, '::91'),
      host('ttl', '127.0.0.99', undefined, 120),
      host('w-heavy', '127.0.1.1'),
      host('w-light', '127.0.1.2'),
      host('w-zero', '127.0.1.3'),
      host('w-backup', '127.0.1.4'),
    ],
  });
});

afterAll(async () => {
  await dns.stop();
});

beforeEach(async () => {
  clock = 0;
  lookupCalls.length = 0;
  await dns.clearQueries();
});

describe('NAPTR → SRV → A/AAAA', () => {
  const ex = `example.${Z}`;
  it('orders by NAPTR order then preference, SRV priority, IPv4 before IPv6; skips foreign services and flags', async () => {
    expect(await make().resolve(`sip:alice@${ex}`)).toEqual([
      t('TLS', '127.0.0.21', 5061, ex),
      t('TLS', '::21', 5061, ex),
      t('UDP', '127.0.0.42', 5062, ex),
      t('UDP', '127.0.0.41', 5060, ex),
      t('TCP', '127.0.0.31', 5060, ex),
      t('TCP', '::32', 5080, ex),
    ]);
    const qs = await dns.queries();
    expect(count(qs, 'NAPTR', ex)).toBe(1);
    expect(count(qs, 'SRV', `_sip._sctp.${ex}`)).toBe(0);
    expect(count(qs, 'SRV', `_sip._ws.${ex}`)).toBe(0); // WS not enabled
    expect(count(qs, 'SRV', `_sip._udp.${ex}`)).toBe(1);
  });

  it('uses SIP+D2W only when WS is enabled', async () => {
    const targets = await make({ transports: ['UDP', 'TCP', 'TLS', 'WS', 'WSS'] }).resolve(`sip:${ex}`);
    expect(targets.at(-1)).toEqual(t('WS', '127.0.0.51', 8080, ex));
    expect(await make({ transports: ['WS'] }).resolve(`sip:${ex}`)).toEqual([t('WS', '127.0.0.51', 8080, ex)]);
  });

  it('restricts sips: to TLS and WSS', async () => {
    expect(await make().resolve(`sips:${ex}`)).toEqual([t('TLS', '127.0.0.21', 5061, ex), t('TLS', '::21', 5061, ex)]);
    const sec = `secure.${Z}`;
    const all = make({ transports: ['UDP', 'TCP', 'TLS', 'WS', 'WSS'] });
    expect(await all.resolve(`sips:bob@${sec}`)).toEqual([t('TLS', '127.0.0.61', 5061, sec), t('WSS', '127.0.0.63', 443, sec)]);
    expect(await all.resolve(`sip:bob@${sec}`)).toEqual([
      t('TLS', '127.0.0.61', 5061, sec),
      t('UDP', '127.0.0.62', 5060, sec),
      t('WSS', '127.0.0.63', 443, sec),
    ]);
    expect(await make({ transports: ['UDP', 'TCP'] }).resolve(`sips:${sec}`)).toEqual([]);
    expect(await all.resolve(`sips:${sec};transport=udp`)).toEqual([]);
    expect(await all.resolve(`sips:${sec};transport=tcp`)).toEqual([t('TLS', '127.0.0.61', 5061, sec)]);
    expect(await all.resolve(`sips:aonly.${Z}`)).toEqual(aonly('TLS', 5061));
    expect(await all.resolve('sips:127.0.0.1')).toEqual([t('TLS', '127.0.0.1', 5061, '127.0.0.1')]);
    for (const uri of [`sips:${ex}`, `sips:${sec}`, `sips:srvonly.${Z}`, `sips:aonly.${Z}:5070`, 'sips:[::1]']) {
      for (const target of await all.resolve(uri)) expect(['TLS', 'WSS']).toContain(target.protocol);
    }
  });
});

describe('without NAPTR', () => {
  const so = `srvonly.${Z}`;
  const ao = `aonly.${Z}`;
  it('queries SRV for the enabled transports (TLS, TCP, UDP)', async () => {
    expect(await make().resolve(`sip:${so}`)).toEqual([
      t('TLS', '127.0.0.73', 5072, so),
      t('TCP', '127.0.0.72', 5071, so),
      t('UDP', '127.0.0.71', 5070, so),
    ]);
    expect(await make().resolve(`sips:${so}`)).toEqual([t('TLS', '127.0.0.73', 5072, so)]);
    expect(await make({ transports: ['UDP'] }).resolve(`sip:${so}`)).toEqual([t('UDP', '127.0.0.71', 5070, so)]);
  });

  it('falls back to A/AAAA with the default transport and port', async () => {
    expect(await make().resolve(`sip:${ao}`)).toEqual(aonly('UDP', 5060));
    expect(await make().resolve(`sip:v6only.${Z}`)).toEqual([t('UDP', '::91', 5060, `v6only.${Z}`)]);
    const qs = await dns.queries();
    expect(qs.filter((q) => q.name.endsWith(ao)).map((q) => `${q.type} ${q.name}`).sort()).toEqual(
      [`A ${ao}`, `AAAA ${ao}`, `NAPTR ${ao}`, `SRV _sip._tcp.${ao}`, `SRV _sip._udp.${ao}`, `SRV _sips._tcp.${ao}`].sort(),
    );
  });

  it('resolves a missing name to []', async () => {
    expect(await make().resolve(`sip:missing.${Z}`)).toEqual([]);
    expect(lookupCalls).toEqual([`missing.${Z}`]);
  });
});

describe('URI parameters, ports and numeric hosts', () => {
  const so = `srvonly.${Z}`;
  const ao = `aonly.${Z}`;
  it('transport= skips NAPTR and uses that SRV, else A/AAAA on its default port', async () => {
    const all = make({ transports: ['UDP', 'TCP', 'TLS', 'WS', 'WSS'] });
    expect(await all.resolve(`sip:${so};transport=TCP`)).toEqual([t('TCP', '127.0.0.72', 5071, so)]);
    expect(await all.resolve(`sip:${ao};transport=tcp`)).toEqual(aonly('TCP', 5060));
    expect(await all.resolve(`sip:${ao};transport=tls`)).toEqual(aonly('TLS', 5061));
    expect(await all.resolve(`sip:${ao};transport=ws`)).toEqual(aonly('WS', 80));
    expect(await all.resolve(`sip:${ao};transport=sctp`)).toEqual([]);
    expect(await make().resolve(`sip:${ao};transport=ws`)).toEqual([]); // WS not enabled
    const qs = await dns.queries();
    expect(qs.filter((q) => q.type === 'NAPTR')).toEqual([]);
    expect(count(qs, 'SRV', `_sip._tcp.${so}`)).toBe(1);
    expect(count(qs, 'SRV', `_sip._udp.${so}`)).toBe(0);
  });

  it('an explicit port skips NAPTR and SRV', async () => {
    expect(await make().resolve(`sip:${ao}:5099`)).toEqual(aonly('UDP', 5099));
    expect(await make().resolve(`sip:${so}:5099;transport=tcp`)).toEqual([]); // SRV names only: no A record
    const qs = await dns.queries();
    expect(qs.map((q) => q.type).sort()).toEqual(['A', 'A', 'AAAA', 'AAAA']);
  });

  it('numeric IPv4/IPv6 hosts make no DNS query and no lookup', async () => {
    const r = make();
    expect(await r.resolve('sip:127.0.0.1')).toEqual([t('UDP', '127.0.0.1', 5060, '127.0.0.1')]);
    expect(await r.resolve('sip:bob@[::1]:5070')).toEqual([t('UDP', '::1', 5070, '::1')]);
    expect(await r.resolve('sips:[::1]')).toEqual([t('TLS', '::1', 5061, '::1')]);
    expect(await r.resolve('sip:192.0.2.1;transport=tcp')).toEqual([t('TCP', '192.0.2.1', 5060, '192.0.2.1')]);
    expect(await r.resolve('sip:192.0.2.1;transport=tls')).toEqual([t('TLS', '192.0.2.1', 5061, '192.0.2.1')]);
    const parsed = parseUriOrThrow('sip:[2001:db8::1]:5080;transport=udp') as SipUri;
    expect(await r.resolve(parsed)).toEqual([t('UDP', '2001:db8::1', 5080, '2001:db8::1')]);
    expect(await make({ transports: ['TCP'] }).resolve('sip:127.0.0.1')).toEqual([t('TCP', '127.0.0.1', 5060, '127.0.0.1')]);
    expect(await dns.queries()).toEqual([]);
    expect(lookupCalls).toEqual([]);
  });

  it('resolveNow gives a numeric host the list resolve gives it, at once; a name or a bad URI gets undefined', async () => {
    const r = make();
    const numeric = ['sip:127.0.0.1', 'sip:bob@[::1]:5070', 'sips:[::1]', 'sip:127.0.0.3;transport=tcp', 'sip:127.0.0.3;transport=tls', `sip:alice@example.${Z};maddr=127.0.0.5`];
    for (const uri of numeric) expect(r.resolveNow?.(uri)).toEqual(await r.resolve(uri));
    const parsed = parseUriOrThrow('sip:[::1]:5080;transport=udp') as SipUri;
    expect(r.resolveNow?.(parsed)).toEqual([t('UDP', '::1', 5080, '::1')]);
    expect(make({ transports: ['TCP'] }).resolveNow?.('sip:127.0.0.1')).toEqual([t('TCP', '127.0.0.1', 5060, '127.0.0.1')]);
    // Needs DNS, names a transport this stack lacks, or is malformed: resolve() decides and says why.
    for (const uri of [`sip:${ao}:5099`, `sip:example.${Z}`, 'sip:127.0.0.1;transport=ws', 'not a uri', 'tel:+15551234', `sip:127.0.0.1;maddr`]) {
      expect(r.resolveNow?.(uri)).toBeUndefined();
    }
    expect(make({ transports: ['UDP'] }).resolveNow?.('sips:127.0.0.1')).toBeUndefined();
    expect(await dns.queries()).toEqual([]);
    expect(lookupCalls).toEqual([]);
  });

  it('maddr overrides the host', async () => {
    expect(await make().resolve(`sip:alice@example.${Z};maddr=127.0.0.5`)).toEqual([t('UDP', '127.0.0.5', 5060, '127.0.0.5')]);
    expect(await dns.queries()).toEqual([]);
    expect(await make().resolve(`sip:alice@192.0.2.1:5070;maddr=${ao}`)).toEqual(aonly('UDP', 5070));
    expect(await make().resolve('sip:alice@example.com;maddr=[::1];transport=tcp')).toEqual([t('TCP', '::1', 5060, '::1')]);
  });

  it('rejects only malformed URIs, with SipError resolve-failed', async () => {
    const r = make();
    const cases = [['not a uri', 400], ['tel:+15551234', 416], ['http://example.com/', 416], [`sip:${ao};maddr`, 400]] as const;
    for (const [uri, status] of cases) {
      const error = await r.resolve(uri).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(SipError);
      expect(error).toMatchObject({ code: 'resolve-failed', status });
    }
    const bad: SipUri = { schema: 'sip', host: ao, port: 70_000, params: {}, headers: {} };
    await expect(r.resolve(bad)).rejects.toMatchObject({ code: 'resolve-failed' });
  });
});

describe('DNS failures', () => {
  it('gives [] (no rejection) when the DNS server is unreachable, and rejects bad server addresses at creation', async () => {
    const socket = createSocket('udp4');
    const closedPort = await new Promise<number>((resolve) => socket.bind(0, '127.0.0.1', () => { resolve(socket.address().port); }));
    await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
    const r = createResolver({ servers: [`127.0.0.1:${String(closedPort)}`], lookup: testLookup, timeoutMs: 500 });
    expect(await r.resolve(`sip:example.${Z}`)).toEqual([]);
    expect(await r.resolveSentBy(`srvonly.${Z}`, undefined, 'UDP')).toEqual([]);
    expect(() => createResolver({ servers: ['not an address'] })).toThrow(SipError);
  });
});

describe('hosts file', () => {
  it('resolves localhost through the default lookup when DNS has no answer', async () => {
    const r = createResolver({ servers: [dns.address], timeoutMs: 1_000 });
    const targets = await r.resolve('sip:localhost');
    expect(targets[0]).toEqual(t('UDP', '127.0.0.1', 5060, 'localhost'));
    for (const target of targets) expect(['127.0.0.1', '::1']).toContain(target.address);
    expect(await r.resolve('sips:localhost:5071')).toContainEqual(t('TLS', '127.0.0.1', 5071, 'localhost'));
    expect(count(await dns.queries(), 'A', 'localhost')).toBeGreaterThan(0); // DNS was asked first
  });
});

describe('cache', () => {
  const ttl = `ttl.${Z}`;
  it('keeps A records for their TTL, by the injected clock', async () => {
    const r = make();
    const want = [t('UDP', '127.0.0.99', 5060, ttl)];
    expect(await r.resolve(`sip:${ttl}:5060`)).toEqual(want);
    expect(await r.resolve(`sip:${ttl}:5060`)).toEqual(want);
    clock = 119_000;
    expect(await r.resolve(`sip:${ttl}:5060`)).toEqual(want);
    expect(count(await dns.queries(), 'A', ttl)).toBe(1);
    clock = 121_000;
    expect(await r.resolve(`sip:${ttl}:5060`)).toEqual(want);
    expect(count(await dns.queries(), 'A', ttl)).toBe(2);
  });

  it('keeps NAPTR and SRV answers 60 s (node:dns gives no TTL for them)', async () => {
    const r = make();
    await r.resolve(`sip:example.${Z}`);
    clock = 59_000;
    await r.resolve(`sip:example.${Z}`);
    expect(count(await dns.queries(), 'NAPTR', `example.${Z}`)).toBe(1);
    clock = 61_000;
    await r.resolve(`sip:example.${Z}`);
    const qs = await dns.queries();
    expect(count(qs, 'NAPTR', `example.${Z}`)).toBe(2);
    expect(count(qs, 'SRV', `_sip._udp.example.${Z}`)).toBe(2);
  });

  it('shares one query among concurrent identical resolutions', async () => {
    const r = make();
    const results = await Promise.all(Array.from({ length: 8 }, () => r.resolve(`sip:example.${Z}`)));
    for (const res of results) expect(res).toHaveLength(6);
    const qs = await dns.queries();
    expect(count(qs, 'NAPTR', `example.${Z}`)).toBe(1);
    expect(count(qs, 'SRV', `_sips._tcp.example.${Z}`)).toBe(1);
    expect(count(qs, 'A', `tls1.${Z}`)).toBe(1);
  });

  it('is bounded, and clearCache empties it', async () => {
    const small = make({ maxCacheEntries: 1 });
    await small.resolve(`sip:aonly.${Z}:5060`);
    await small.resolve(`sip:aonly.${Z}:5060`);
    expect(count(await dns.queries(), 'A', `aonly.${Z}`)).toBe(2); // A evicted by AAAA
    await dns.clearQueries();
    const r = make();
    await r.resolve(`sip:aonly.${Z}:5060`);
    await r.resolve(`sip:aonly.${Z}:5060`);
    expect(count(await dns.queries(), 'A', `aonly.${Z}`)).toBe(1);
    r.clearCache();
    await r.resolve(`sip:aonly.${Z}:5060`);
    expect(count(await dns.queries(), 'A', `aonly.${Z}`)).toBe(2);
  });
});

describe('SRV weighted selection (RFC 2782)', () => {
  /** A deterministic generator (LCG, Numerical Recipes constants): the same numbers every run. */
  function seeded(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
      return s / 2 ** 32;
    };
  }

  it('picks the first target in proportion to weight; weight 0 rarely; lower priority never first', async () => {
    const w = `weighted.${Z}`;
    const r = make({ random: seeded(42) });
    const firsts = new Map<string, number>();
    const runs = 2_000;
    for (let i = 0; i < runs; i++) {
      const targets = await r.resolve(`sip:${w}`);
      expect(targets).toHaveLength(4);
      expect(targets[3]?.address).toBe('127.0.1.4'); // priority 20 always last
      const first = targets[0]?.address ?? '';
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Sum of weights 4: uniform draw in 0..4, so 3/5, 1/5 and (weight 0, drawn on 0) 1/5.
    expect((firsts.get('127.0.1.1') ?? 0) / runs).toBeCloseTo(0.6, 1);
    expect((firsts.get('127.0.1.2') ?? 0) / runs).toBeCloseTo(0.2, 1);
    expect((firsts.get('127.0.1.3') ?? 0) / runs).toBeCloseTo(0.2, 1);
    expect(firsts.get('127.0.1.4')).toBeUndefined();
    expect(count(await dns.queries(), 'SRV', `_sip._udp.${w}`)).toBe(1); // order re-drawn from the cache
  });

  it('follows the running-sum rule exactly for given draws', () => {
    const recs = [
      { name: 'zero', priority: 10, weight: 0 },
      { name: 'heavy', priority: 10, weight: 3 },
      { name: 'light', priority: 10, weight: 1 },
      { name: 'backup', priority: 5, weight: 0 },
    ];
    const names = (draws: number[]) => {
      const it = draws[Symbol.iterator]();
      return orderSrvRecords(recs, () => it.next().value ?? 0).map((x) => x.name);
    };
    // draws: backup (one left), then 0.0 → r=0 → weight-0 first; 0.5 → r=2 of 0..4 → heavy; last one.
    expect(names([0.9, 0.0, 0.5, 0.9])).toEqual(['backup', 'zero', 'heavy', 'light']);
    expect(names([0.9, 0.99, 0.0, 0.0])).toEqual(['backup', 'light', 'zero', 'heavy']);
    expect(names([0.9, 0.3, 0.0, 0.0])).toEqual(['backup', 'heavy', 'zero', 'light']);
    // All weights 0: uniform.
    const zeros = [{ priority: 1, weight: 0, name: 'a' }, { priority: 1, weight: 0, name: 'b' }];
    expect(orderSrvRecords(zeros, () => 0.75).map((x) => x.name)).toEqual(['b', 'a']);
    expect(orderSrvRecords(zeros, () => Number.NaN).map((x) => x.name)).toEqual(['a', 'b']);
  });
});

describe('resolveSentBy (RFC 3263 §5)', () => {
  it('uses the Via transport: numeric, SRV without a port, A/AAAA with one', async () => {
    const r = make();
    expect(await r.resolveSentBy('127.0.0.1', undefined, 'TCP')).toEqual([t('TCP', '127.0.0.1', 5060, '127.0.0.1')]);
    expect(await r.resolveSentBy('[::1]', 5070, 'UDP')).toEqual([t('UDP', '::1', 5070, '::1')]);
    expect(await r.resolveSentBy(`srvonly.${Z}`, undefined, 'TCP')).toEqual([t('TCP', '127.0.0.72', 5071, `srvonly.${Z}`)]);
    expect(await r.resolveSentBy(`srvonly.${Z}`, undefined, 'TLS')).toEqual([t('TLS', '127.0.0.73', 5072, `srvonly.${Z}`)]);
    expect(await r.resolveSentBy(`aonly.${Z}`, undefined, 'TLS')).toEqual(aonly('TLS', 5061));
    await dns.clearQueries();
    expect(await make().resolveSentBy(`AONLY.${Z}.`, 5080, 'UDP')).toEqual(aonly('UDP', 5080));
    expect((await dns.queries()).map((q) => q.type).sort()).toEqual(['A', 'AAAA']);
    expect(await r.resolveSentBy(`missing.${Z}`, undefined, 'UDP')).toEqual([]);
    expect(await r.resolveSentBy('', 5060, 'UDP')).toEqual([]);
  });
});
