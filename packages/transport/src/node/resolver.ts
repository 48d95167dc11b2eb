/**
 * The RFC 3263 resolver: a SIP/SIPS URI (or a Via sent-by) to an ordered list of targets, through
 * NAPTR → SRV (priority, then weighted random) → A/AAAA, with the hosts file as a last resort.
 * @see RFC 3263 §4 (client usage), §5 (server usage), RFC 2782, RFC 3403, RFC 7118 §6, RFC 5922 §4
 */
import { getRandomValues } from 'node:crypto';
import type { NaptrRecord, RecordWithTtl, SrvRecord } from 'node:dns';
import { Resolver as DnsResolver, lookup as systemLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SipError, isSipUri, parseUri, type SipUri } from '@sipts/message';
import { asError } from '../as-error.js';
import { silentLogger, type Logger, type Target, type TransportProtocol } from '../types.js';
import { createDnsCache, type CacheableAnswer } from './dns-cache.js';
import { ipVersion, isSecureTransport, normalizeHost, planUri, srvPrefix, type ResolvePlan } from './resolve-plan.js';
import { defaultPort } from '../response-target.js';
import { orderSrvRecords } from './srv-order.js';

/** Options of {@link createResolver}. */
export interface ResolverOptions {
  /** DNS servers, `'ip'` or `'ip:port'` (`[v6]:port`), as node:dns `Resolver.setServers` takes them. Default: the system's. */
  servers?: string[];
  /** The transports this stack can use; default `['UDP', 'TCP', 'TLS']` (add `'WS'`, `'WSS'` when enabled). */
  transports?: TransportProtocol[];
  /**
   * Hosts-file aware lookup, asked only when DNS gives a name no A/AAAA record (e.g. `localhost`).
   * Default: node:dns `lookup(host, { all: true })` (getaddrinfo: /etc/hosts, then the system resolver).
   */
  lookup?: (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;
  /** Clock in milliseconds for the TTL cache (tests). Default `performance.now()`. */
  now?: () => number;
  /** A number in [0, 1) for SRV weighted selection (tests). Default: from `crypto.getRandomValues`. */
  random?: () => number;
  /** Cached answers kept at most (least recently used evicted). Default 10,000. */
  maxCacheEntries?: number;
  /** Time allowed for one query (one retransmission included), and for one `lookup`. Default 2,000 ms. */
  timeoutMs?: number;
  /** DNS failures are logged at `debug`, unexpected errors at `warn`. Default: silent. */
  logger?: Logger;
}

/** Resolves SIP URIs and Via sent-by values to targets. One per stack instance. */
export interface SipResolver {
  /**
   * RFC 3263 §4: the ordered target list for a SIP/SIPS URI, for the transaction layer to try in
   * order (failover on timeout, 503 or transport error). An unresolvable name gives `[]`.
   * @throws SipError `resolve-failed` (as a rejection; status 400, or 416 for a scheme other than sip/sips) for a malformed URI
   */
  resolve(uri: string | SipUri): Promise<Target[]>;
  /**
   * The targets of a URI that needs no DNS (a numeric host, RFC 3263 §4.1/§4.2), at once and with
   * no Promise: the same list `resolve` gives it. `undefined` for a URI that needs a lookup, that
   * names a transport this stack cannot use, or that is not a valid SIP URI (`resolve` says why).
   * Optional for resolvers written by applications.
   * @example resolver.resolveNow('sip:bob@192.0.2.4:5070') // [{ protocol: 'UDP', address: '192.0.2.4', port: 5070, host: '192.0.2.4' }]
   */
  resolveNow?(uri: string | SipUri): Target[] | undefined;
  /** RFC 3263 §5: targets for a response to a Via sent-by (SRV of the Via transport when no port, else A/AAAA). Never rejects. */
  resolveSentBy(host: string, port: number | undefined, protocol: TransportProtocol): Promise<Target[]>;
  /** Forgets every cached answer. */
  clearCache(): void;
}

/** NAPTR services (RFC 3263 §4.1, RFC 7118 §6) and the transport each stands for. */
const NAPTR_SERVICES = new Map<string, TransportProtocol>([
  ['SIP+D2U', 'UDP'],
  ['SIP+D2T', 'TCP'],
  ['SIPS+D2T', 'TLS'],
  ['SIP+D2W', 'WS'],
  ['SIPS+D2W', 'WSS'],
]);
/** SRV queries when there is no usable NAPTR record: the client's preference, secure first. */
const SRV_PREFERENCE: readonly TransportProtocol[] = ['TLS', 'TCP', 'UDP'];
/** Transports for a `sip:` URI that names none (RFC 3263 §4.1: UDP), in order of fallback. */
const SIP_DEFAULTS: readonly TransportProtocol[] = ['UDP', 'TCP', 'TLS'];
/** node:dns returns no TTL for NAPTR and SRV records (nor does `lookup`): they are kept this long. */
const RECORD_TTL_MS = 60_000;
/** NXDOMAIN / no data (RFC 2308 without the SOA minimum, which node:dns does not expose). */
const NEGATIVE_TTL_MS = 30_000;
/** Timeouts, SERVFAIL, REFUSED: retried soon, but not on every request (RFC 2308 §7.1). */
const FAILURE_TTL_MS = 5_000;

interface Address {
  address: string;
  family: 4 | 6;
}

/**
 * Creates an RFC 3263 resolver with its own DNS client and answer cache.
 * @throws SipError `invalid-argument` when `servers` holds an address node:dns does not accept
 * @example
 * const resolver = createResolver({ transports: ['UDP', 'TCP', 'TLS'] });
 * const targets = await resolver.resolve('sip:alice@example.com'); // try targets[0], then targets[1]…
 * @see RFC 3263 §4, §5
 */
export function createResolver(options: ResolverOptions = {}): SipResolver {
  const timeoutMs = Math.max(1, options.timeoutMs ?? 2_000);
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? cryptoRandom;
  const lookup = options.lookup ?? defaultLookup;
  const enabled = new Set<TransportProtocol>(options.transports ?? ['UDP', 'TCP', 'TLS']);
  const cache = createDnsCache({ now: options.now ?? (() => performance.now()), maxEntries: options.maxCacheEntries ?? 10_000 });
  // c-ares doubles the timeout on the retry: t + 2t stays within timeoutMs; withTimeout enforces it.
  const dns = new DnsResolver({ timeout: Math.max(1, Math.ceil(timeoutMs / 3)), tries: 2 });
  if (options.servers !== undefined) {
    try {
      dns.setServers(options.servers);
    } catch (cause) {
      throw new SipError('invalid-argument', `invalid DNS servers: ${options.servers.join(', ')}`, { cause });
    }
  }

  const usable = (p: TransportProtocol, secure: boolean): boolean => enabled.has(p) && (!secure || isSecureTransport(p));
  const defaultTransport = (secure: boolean): TransportProtocol | undefined =>
    secure ? (enabled.has('TLS') ? 'TLS' : undefined) : SIP_DEFAULTS.find((p) => enabled.has(p));

  async function query<T>(type: string, name: string, run: () => Promise<T[]>, ttlOf: (r: T[]) => number): Promise<CacheableAnswer<T[]>> {
    try {
      const records = await withTimeout(run(), timeoutMs);
      return records.length > 0 ? { value: records, ttlMs: ttlOf(records) } : { value: [], ttlMs: NEGATIVE_TTL_MS };
    } catch (error) {
      const code = errorCode(error);
      logger.debug('DNS query failed', { type, name, code });
      return { value: [], ttlMs: code === 'ENOTFOUND' || code === 'ENODATA' ? NEGATIVE_TTL_MS : FAILURE_TTL_MS };
    }
  }
  const minTtl = (records: RecordWithTtl[]): number => Math.min(...records.map((r) => r.ttl)) * 1000;
  const naptr = (name: string): Promise<NaptrRecord[]> =>
    cache.get(`NAPTR ${name}`, () => query('NAPTR', name, () => dns.resolveNaptr(name), () => RECORD_TTL_MS));
  const srv = (name: string): Promise<SrvRecord[]> =>
    cache.get(`SRV ${name}`, () => query('SRV', name, () => dns.resolveSrv(name), () => RECORD_TTL_MS));
  const a4 = (name: string): Promise<RecordWithTtl[]> =>
    cache.get(`A ${name}`, () => query('A', name, () => dns.resolve4(name, { ttl: true }), minTtl));
  const a6 = (name: string): Promise<RecordWithTtl[]> =>
    cache.get(`AAAA ${name}`, () => query('AAAA', name, () => dns.resolve6(name, { ttl: true }), minTtl));
  const hosts = (name: string): Promise<Address[]> =>
    cache.get(`HOSTS ${name}`, () => query('HOSTS', name, () => lookupAddresses(lookup, name), () => RECORD_TTL_MS));

  /** A then AAAA records of `name` (IPv4 first); the hosts file when DNS has neither. */
  async function addresses(name: string): Promise<Address[]> {
    const [v4, v6] = await Promise.all([a4(name), a6(name)]);
    const found: Address[] = [
      ...v4.map((r): Address => ({ address: r.address, family: 4 })),
      ...v6.map((r): Address => ({ address: r.address, family: 6 })),
    ];
    return found.length > 0 ? found : hosts(name);
  }

  async function addressTargets(name: string, protocol: TransportProtocol, port: number, host: string): Promise<Target[]> {
    return (await addresses(name)).map((a) => ({ protocol, address: a.address, port, host }));
  }

  /** SRV records of `owner` in RFC 2782 order, each expanded to its addresses. */
  async function srvTargets(owner: string, protocol: TransportProtocol, host: string): Promise<Target[]> {
    const records = (await srv(owner)).filter((r) => r.name !== '' && r.name !== '.' && r.port > 0);
    const ordered = orderSrvRecords(records, random);
    const lists = await Promise.all(ordered.map((r) => addressTargets(normalizeHost(r.name), protocol, r.port, host)));
    return lists.flat();
  }

  /** RFC 3263 §4.1: usable NAPTR records (flag `s`, a known service, an enabled transport), in order, through SRV. */
  async function naptrTargets(plan: ResolvePlan): Promise<Target[]> {
    const chosen = (await naptr(plan.host))
      .map((record) => ({ record, protocol: NAPTR_SERVICES.get(record.service.toUpperCase()) }))
      .filter((x): x is { record: NaptrRecord; protocol: TransportProtocol } =>
        x.protocol !== undefined && x.record.flags.toLowerCase() === 's' && usable(x.protocol, plan.secure) &&
        normalizeHost(x.record.replacement) !== '' && normalizeHost(x.record.replacement) !== '.')
      .sort((x, y) => x.record.order - y.record.order || x.record.preference - y.record.preference);
    const lists = await Promise.all(chosen.map((x) => srvTargets(normalizeHost(x.record.replacement), x.protocol, plan.host)));
    return lists.flat();
  }

  /** §4.1/§4.2: a numeric address needs no DNS: its one target, or none when its transport is not usable. */
  function numericTargets(plan: ResolvePlan): Target[] {
    const fixed = plan.transport === null ? undefined : (plan.transport ?? defaultTransport(plan.secure));
    if (fixed === undefined || !usable(fixed, plan.secure)) return [];
    return [{ protocol: fixed, address: plan.host, port: plan.port ?? defaultPort(fixed), host: plan.host }];
  }

  async function resolvePlan(plan: ResolvePlan): Promise<Target[]> {
    const { host, secure } = plan;
    if (plan.transport === null) return [];
    if (plan.ip !== 0) return numericTargets(plan);
    const fixed = plan.transport ?? defaultTransport(secure);
    if (plan.port !== undefined || plan.transport !== undefined) {
      if (fixed === undefined || !usable(fixed, secure)) return [];
      // §4.2: an explicit port skips NAPTR and SRV.
      if (plan.port !== undefined) return addressTargets(host, fixed, plan.port, host);
      // A transport parameter skips NAPTR: SRV for that transport, then A/AAAA on its default port.
      const prefix = srvPrefix(fixed);
      const viaSrv = prefix === undefined ? [] : await srvTargets(prefix + host, fixed, host);
      return viaSrv.length > 0 ? viaSrv : addressTargets(host, fixed, defaultPort(fixed), host);
    }
    const viaNaptr = await naptrTargets(plan);
    if (viaNaptr.length > 0) return viaNaptr;
    const protocols = SRV_PREFERENCE.filter((p) => usable(p, secure));
    const viaSrv = (await Promise.all(protocols.map((p) => srvTargets(`${srvPrefix(p) ?? ''}${host}`, p, host)))).flat();
    if (viaSrv.length > 0) return viaSrv;
    return fixed === undefined ? [] : addressTargets(host, fixed, defaultPort(fixed), host);
  }

  return {
    async resolve(uri: string | SipUri): Promise<Target[]> {
      let plan: ResolvePlan;
      try {
        const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
        if (parsed === undefined) throw new SipError('resolve-failed', 'not a valid URI', { status: 400 });
        if (!isSipUri(parsed)) throw new SipError('resolve-failed', `cannot resolve a ${parsed.schema}: URI`, { status: 416 });
        plan = planUri(parsed);
      } catch (error) {
        if (error instanceof SipError && error.code === 'resolve-failed') throw error;
        throw new SipError('resolve-failed', 'not a valid SIP URI', { status: 400, cause: error });
      }
      try {
        return dedupe(await resolvePlan(plan));
      } catch (error) {
        logger.warn('resolver failed', { host: plan.host, error });
        return [];
      }
    },

    resolveNow(uri: string | SipUri): Target[] | undefined {
      const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
      if (parsed === undefined || !isSipUri(parsed)) return undefined;
      let plan: ResolvePlan;
      try {
        plan = planUri(parsed);
      } catch {
        return undefined; // resolve() rejects it with the reason
      }
      if (plan.ip === 0) return undefined;
      const targets = numericTargets(plan);
      return targets.length > 0 ? targets : undefined;
    },

    async resolveSentBy(host: string, port: number | undefined, protocol: TransportProtocol): Promise<Target[]> {
      try {
        const name = normalizeHost(host);
        if (name === '' || (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65_535))) return [];
        if (ipVersion(name) !== 0) return [{ protocol, address: name, port: port ?? defaultPort(protocol), host: name }];
        if (port !== undefined) return dedupe(await addressTargets(name, protocol, port, name));
        const prefix = srvPrefix(protocol);
        const viaSrv = prefix === undefined ? [] : await srvTargets(prefix + name, protocol, name);
        return dedupe(viaSrv.length > 0 ? viaSrv : await addressTargets(name, protocol, defaultPort(protocol), name));
      } catch (error) {
        logger.warn('resolver failed', { host, error });
        return [];
      }
    },

    clearCache(): void {
      cache.clear();
    },
  };
}

function dedupe(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.protocol} ${t.address} ${String(t.port)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function lookupAddresses(lookup: NonNullable<ResolverOptions['lookup']>, name: string): Promise<Address[]> {
  const found = (await lookup(name)).filter((a) => isIP(a.address) === a.family);
  const ordered = [...found.filter((a) => a.family === 4), ...found.filter((a) => a.family === 6)];
  return ordered.map((a) => ({ address: a.address, family: a.family }));
}

async function defaultLookup(host: string): Promise<Address[]> {
  const all = await systemLookup(host, { all: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new SipError('resolve-failed', `no answer within ${String(ms)} ms`, { status: 503 }));
    }, ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(asError(e, 'resolve-failed'));
      },
    );
  });
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return 'UNKNOWN';
}

function cryptoRandom(): number {
  const word = new Uint32Array(1);
  getRandomValues(word);
  return (word[0] ?? 0) / 2 ** 32;
}
