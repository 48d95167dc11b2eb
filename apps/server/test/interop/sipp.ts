/**
 * Debian's sipp (package sip-tester, 3.6.1) driven by the scenarios in ./scenarios: every run
 * bounded in calls (`-m`), rate and time (`-timeout` with `-timeout_error`, and a kill timer),
 * with its cumulative `-trace_stat` counters and its `<log>` lines (`-trace_logs`) read back.
 * sipp 3.6.1 answers only the first challenge of a 401/407 and computes MD5 only
 * ("createAuthHeader: authentication must use MD5 or AKAv1-MD5"): the tests configure the server
 * with `auth.algorithms: [MD5, SHA-256]` (the challenges in that order).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, listening, readOr, readSippCallCounts, sippArgs, startChild, until, type RunResult, type SippCallCounts } from '@sipts/test-peers';

const SIPP = '/usr/bin/sipp';
/** The scenario directory. */
export const SCENARIOS = fileURLToPath(new URL('./scenarios/', import.meta.url));

/** The transport of a sipp run. */
export type Proto = 'UDP' | 'TCP';

/** A finished sipp run. */
export interface SippRun extends RunResult, SippCallCounts {
  /** The error log (`-trace_err`), last 3000 characters. */
  errors: string;
  /** The `<log>` lines (`-trace_logs`). */
  logs: string[];
}

/** Options of {@link startSipp}. */
export interface SippOptions {
  /** A file in ./scenarios. */
  scenario: string;
  protocol?: Proto;
  calls?: number;
  /** The server's `host:port` for a UAC; none for a UAS. */
  remote?: string;
  /** The local port (`-p`); default a free one. */
  port?: number;
  /** `-s`: the callee or the registering user. */
  service?: string;
  /** `-au/-ap`. */
  auth?: { user: string; password: string; uri: string };
  /** `-key name value` pairs. */
  keys?: Record<string, string>;
  timeoutMs?: number;
  /** Calls per second (`-r`, default 10) and at once (`-l`, default 5). */
  rate?: number;
  limit?: number;
  /** The local address (`-i`), e.g. 127.0.0.3 for a source of its own. Default 127.0.0.1. */
  localIp?: string;
  extra?: string[];
}

/** A running sipp. */
export interface Sipp {
  port: number;
  done: Promise<SippRun>;
  kill: () => Promise<unknown>;
}

let runs = 0;

/** Starts sipp on 127.0.0.1; a UAS (no `remote`) is awaited until it listens. */
export async function startSipp(work: string, o: SippOptions): Promise<Sipp> {
  const port = o.port ?? (await freePort());
  const protocol = o.protocol ?? 'UDP';
  const id = `${String(port)}-${String(++runs)}`;
  const stat = join(work, `stat-${id}.csv`);
  const errors = join(work, `errors-${id}.log`);
  const logs = join(work, `logs-${id}.log`);
  const timeoutMs = o.timeoutMs ?? 20_000;
  const args = [
    ...sippArgs({ remote: o.remote, transport: protocol === 'UDP' ? 'u1' : 't1', localPort: port, ...(o.localIp !== undefined ? { localIp: o.localIp } : {}), calls: o.calls ?? 1, rate: o.rate ?? 10, limit: o.limit ?? 5, timeoutMs, statFile: stat }),
    '-sf', join(SCENARIOS, o.scenario),
    '-trace_err', '-error_file', errors,
    '-trace_logs', '-log_file', logs,
    ...(o.service !== undefined ? ['-s', o.service] : []),
    ...(o.auth !== undefined ? ['-au', o.auth.user, '-ap', o.auth.password, '-auth_uri', o.auth.uri] : []),
    ...Object.entries(o.keys ?? {}).flatMap(([k, v]) => ['-key', k, v]),
    ...(o.extra ?? []),
  ];
  const child = startChild(SIPP, args, { cwd: work, timeoutMs });
  const done = child.done.then((r): SippRun => ({
    ...r,
    ...readSippCallCounts(stat),
    errors: readOr(errors).slice(-3000),
    logs: readOr(logs).split('\n').filter((l) => l.trim() !== ''),
  }));
  if (o.remote === undefined) await until(() => listening(protocol, port), 5000, `sipp to listen on ${protocol} ${String(port)}`);
  return { port, done, kill: child.kill };
}

/** For a failed assertion: how sipp ended, the end of its output and its error log. */
export function tail(r: SippRun): string {
  return `exit ${String(r.code)} ${String(r.signal)}; ok ${String(r.successful)}, failed ${String(r.failed)}\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-800)}\n${r.errors}\n${r.logs.join('\n')}`;
}

/** The value logged by a scenario's `<log message="<prefix>=...">` lines, in order. */
export function logged(r: SippRun, prefix: string): string[] {
  return r.logs.flatMap((l) => {
    const i = l.indexOf(`${prefix}=`);
    return i < 0 ? [] : [l.slice(i + prefix.length + 1).trim()];
  });
}
