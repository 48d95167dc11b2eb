/**
 * Real peers for test/interop.test.ts: sipp (UAC and UAS, scenarios in fixtures/sipp) and a
 * kamailio started with a minimal tm-based config that relays every request to its Request-URI.
 * Every child runs with a kill timer (startChild from @sipts/test-peers), kamailio in its own
 * process group; killChildren() from there ends them all.
 * @see /usr/share/doc/kamailio/modules/README.tm.gz (kamailio 5.6)
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, kamailioUdpHead, listening, readOr, readSippCallCounts, sippArgs, startChild, startKamailio as startKamailioChild, until, type RunResult, type SippCallCounts } from '@sipts/test-peers';

const SIPP = '/usr/bin/sipp';
/** Default bound on a child's life, in ms. */
export const CHILD_TIMEOUT_MS = 20_000;
export const FIXTURES = fileURLToPath(new URL('./fixtures/sipp/', import.meta.url));

export type Proto = 'UDP' | 'TCP';

/** A sipp run with its cumulative `-trace_stat` counters. */
export interface SippRun extends RunResult, SippCallCounts {
  errors: string;
}

/** Options of {@link startSipp}. */
export interface SippOptions {
  /** `-sf fixtures/sipp/<file>` or a built-in `-sn` name. */
  scenario: { file: string } | { builtIn: string };
  protocol: Proto;
  calls: number;
  /** The remote `host:port` (a UAC); none for a UAS. */
  remote?: string;
  /** The local port (`-p`); default a free one. */
  port?: number;
  extra?: string[];
  timeoutMs?: number;
}

/** A running sipp: its port, and its result with the stat counters once it exited. */
export interface Sipp {
  port: number;
  done: Promise<SippRun>;
  stop: () => Promise<void>;
}

/** Starts sipp on 127.0.0.1 with bounded calls (`-m`), a global `-timeout` that fails, and its stats. */
export async function startSipp(work: string, o: SippOptions): Promise<Sipp> {
  const port = o.port ?? (await freePort());
  const stat = join(work, `stat-${String(port)}.csv`);
  const errors = join(work, `errors-${String(port)}.log`);
  const timeoutMs = o.timeoutMs ?? CHILD_TIMEOUT_MS;
  const args = [
    ...sippArgs({ remote: o.remote, transport: o.protocol === 'UDP' ? 'u1' : 't1', localPort: port, calls: o.calls, rate: 20, limit: 10, timeoutMs, statFile: stat }),
    ...('file' in o.scenario ? ['-sf', join(FIXTURES, o.scenario.file)] : ['-sn', o.scenario.builtIn]),
    '-trace_err', '-error_file', errors,
    ...(o.extra ?? []),
  ];
  const child = startChild(SIPP, args, { cwd: work, timeoutMs });
  const done = child.done.then((r): SippRun => ({ ...r, ...readSippCallCounts(stat), errors: readOr(errors).slice(-3000) }));
  if (o.remote === undefined) await until(() => listening(o.protocol, port), 5000, `sipp to listen on ${o.protocol} ${String(port)}`);
  return { port, done, stop: async () => { await child.kill(); } };
}

/** For a failed assertion: the end of sipp's output and error log. */
export function tail(r: SippRun): string {
  return `exit ${String(r.code)} ${String(r.signal)}; ok ${String(r.successful)}, failed ${String(r.failed)}\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-800)}\n${r.errors}`;
}

/** A kamailio.cfg: UDP on loopback, one worker, every request relayed statefully (tm) to its Request-URI. */
export function kamailioConfig(port: number): string {
  return `${kamailioUdpHead({ port, modules: ['tm', 'sl', 'pv', 'xlog'] })}

request_route {
  xlog("L_INFO", "sipts-interop: $rm $ru\\n");
  if (method == "ACK" && !t_check_trans()) {
    forward();
    exit;
  }
  if (!t_relay()) {
    sl_reply_error();
  }
  exit;
}
`;
}

/** A running kamailio. */
export interface Kamailio {
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts kamailio in the foreground (its own process group, killed as a whole) on a free port; it lives until `stop()`. */
export async function startKamailio(dir: string): Promise<Kamailio> {
  const port = await freePort();
  const child = await startKamailioChild({ dir, config: kamailioConfig(port), listens: [{ protocol: 'UDP', port }] });
  return { port, output: child.output, stop: async () => { await child.kill(); } };
}
