/**
 * Test harness: a real DNS server (Debian's `dnsmasq`, package `dnsmasq-base`) on 127.0.0.1 and a
 * random high port, serving only the records a test gives it, with every query it receives
 * logged so tests can count them. Loopback only; no upstream servers, no /etc/hosts, no pid file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { userInfo } from 'node:os';

/** A bound on waiting for dnsmasq's log (never a window: the wait ends as soon as the line is there). */
const FLUSH_BOUND_MS = 30_000;

/** A NAPTR record (RFC 3403). `regexp` is empty for SIP's `s` records. */
export interface NaptrSpec {
  name: string;
  order: number;
  preference: number;
  flags: string;
  service: string;
  regexp?: string;
  replacement: string;
}

/** An SRV record (RFC 2782); `owner` is e.g. `_sip._udp.example.test`. */
export interface SrvSpec {
  owner: string;
  target: string;
  port: number;
  priority: number;
  weight: number;
}

/** A and/or AAAA records of one name (one of each per entry; repeat the name for more). */
export interface HostSpec {
  name: string;
  ipv4?: string;
  ipv6?: string;
  /** TTL in seconds; default `DnsZone.ttl`. */
  ttl?: number;
}

/** What the server answers. Names under `domains` it does not know get NXDOMAIN; other names REFUSED. */
export interface DnsZone {
  domains: string[];
  naptr?: NaptrSpec[];
  srv?: SrvSpec[];
  hosts?: HostSpec[];
  /** TTL in seconds of the configured records (dnsmasq `--local-ttl`). Default 300. */
  ttl?: number;
}

/** One query the server received. */
export interface LoggedQuery {
  type: string;
  name: string;
}

/** A running server. */
export interface DnsServer {
  /** `127.0.0.1:<port>`, for `ResolverOptions.servers`. */
  readonly address: string;
  readonly port: number;
  /** The queries received so far (all of them logged: a marker query is sent and awaited first). */
  queries(): Promise<LoggedQuery[]>;
  /** Forgets the queries received so far. */
  clearQueries(): Promise<void>;
  stop(): Promise<void>;
}

const QUERY_LINE = /query\[(\w+)\] (\S+) from /;

function zoneArgs(zone: DnsZone): string[] {
  const args = zone.domains.map((d) => `--local=/${d}/`);
  for (const n of zone.naptr ?? []) {
    args.push(`--naptr-record=${[n.name, n.order, n.preference, n.flags, n.service, n.regexp ?? '', n.replacement].join(',')}`);
  }
  for (const s of zone.srv ?? []) args.push(`--srv-host=${[s.owner, s.target, s.port, s.priority, s.weight].join(',')}`);
  for (const h of zone.hosts ?? []) {
    const ttl = h.ttl === undefined ? '' : `,${String(h.ttl)}`;
    args.push(`--host-record=${h.name},${h.ipv4 ?? ''},${h.ipv6 ?? ''}${ttl}`.replace(/,,+/g, ','));
  }
  return args;
}

function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts dnsmasq in the foreground as a child process and waits until it answers.
 * @throws Error when dnsmasq is not installed or does not come up after a few ports
 */
export async function startDnsServer(zone: DnsZone): Promise<DnsServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = await tryStart(zone, randomPort());
    if (server !== undefined) return server;
  }
  throw new Error('dnsmasq did not start on any of 5 random ports');
}

async function tryStart(zone: DnsZone, port: number): Promise<DnsServer | undefined> {
  const probeDomain = zone.domains[0] ?? 'test';
  const args = [
    '--keep-in-foreground',
    '--no-daemon',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--port=${String(port)}`,
    `--user=${userInfo().username}`,
    '--pid-file',
    '--log-facility=-',
    '--log-queries',
    `--local-ttl=${String(zone.ttl ?? 300)}`,
    ...zoneArgs(zone),
  ];
  const child: ChildProcess = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  let spawnError: Error | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (e) => {
      spawnError = e;
      exited = true;
      resolve();
    });
  });
  let log: LoggedQuery[] = [];
  let pending = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = QUERY_LINE.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) log.push({ type: m[1], name: m[2] });
    }
  });

  // Markers: queries for fresh names, sent to dnsmasq itself. dnsmasq logs queries in the order
  // they arrive, so once a marker is in its log every query sent before it is there too. The
  // probe's own answer (NXDOMAIN, or a timeout) does not matter; only the log line does.
  const probe = new Resolver({ timeout: 1000, tries: 1 });
  probe.setServers([`127.0.0.1:${String(port)}`]);
  let marker = 0;
  const sendMarker = (): string => {
    const name = `marker-${String(++marker)}.${probeDomain}`;
    probe.resolve4(name).catch(() => undefined);
    return name;
  };
  /** Waits, bounded, until `done` holds or dnsmasq has exited. */
  async function waitLog(done: () => boolean, boundMs: number): Promise<boolean> {
    const end = Date.now() + boundMs;
    while (!exited && !done()) {
      if (Date.now() > end) return false;
      await sleep(10);
    }
    return done();
  }
  /** Sends a marker and waits until dnsmasq has logged it (so all earlier queries too). */
  async function flush(): Promise<void> {
    const name = sendMarker();
    if (!(await waitLog(() => log.some((q) => q.name === name), FLUSH_BOUND_MS))) {
      throw new Error(`dnsmasq did not log ${name} (exited: ${String(exited)}); its query log would be incomplete`);
    }
  }
  const strip = (queries: LoggedQuery[]): LoggedQuery[] => queries.filter((q) => !q.name.startsWith('marker-'));

  // Up once any marker is logged: a marker sent before dnsmasq listened is lost (connection
  // refused), so one is sent every 250 ms; a late log line of an earlier one counts as well.
  const anyMarker = (): boolean => log.some((q) => q.name.startsWith('marker-'));
  const startEnd = Date.now() + FLUSH_BOUND_MS;
  let up = false;
  while (!up && !exited && Date.now() < startEnd) {
    sendMarker();
    up = await waitLog(anyMarker, 250);
  }
  if (!up) {
    child.kill('SIGKILL');
    await exitedPromise;
    if (spawnError !== undefined) {
      throw new Error(`cannot run dnsmasq (${spawnError.message}): install Debian's dnsmasq-base`, { cause: spawnError });
    }
    return undefined;
  }
  return {
    address: `127.0.0.1:${String(port)}`,
    port,
    async queries() {
      await flush();
      return strip(log);
    },
    async clearQueries() {
      await flush();
      log = [];
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exitedPromise.then(() => true), sleep(2_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };
}
