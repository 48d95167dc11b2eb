/**
 * Real peers for test/interop.test.ts: sipp (UAC and UAS, scenarios in fixtures/sipp) and a
 * kamailio started with a minimal tm-based config that relays every request to its Request-URI.
 * Every child runs with a kill timer, kamailio in its own process group; killAll() ends them all.
 * @see /usr/share/doc/kamailio/modules/README.tm.gz (kamailio 5.6)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIPP = '/usr/bin/sipp';
const KAMAILIO = '/usr/sbin/kamailio';
const MAX_OUTPUT = 1 << 20;
/** Default bound on a child's life, in ms. */
export const CHILD_TIMEOUT_MS = 20_000;
export const FIXTURES = fileURLToPath(new URL('./fixtures/sipp/', import.meta.url));

export type Proto = 'UDP' | 'TCP';

/** How a child ended, and what it printed. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A sipp run with its cumulative `-trace_stat` counters. */
export interface SippRun extends RunResult {
  successful: number;
  failed: number;
  errors: string;
}

const children = new Set<{ child: ChildProcess; group: boolean }>();

/** Kills every child still running (process groups as a whole). */
export function killAll(): void {
  for (const c of children) kill(c.child, c.group);
  children.clear();
}

function kill(child: ChildProcess, group: boolean): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (group) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Starts a child with its output collected (the first MiB) and a kill timer. */
function start(cmd: string, args: string[], cwd: string, timeoutMs: number, group = false): { done: Promise<RunResult>; output: () => string; stop: () => Promise<void> } {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  const entry = { child, group };
  children.add(entry);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < MAX_OUTPUT) stdout += d.toString('latin1');
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < MAX_OUTPUT) stderr += d.toString('latin1');
  });
  const timer = setTimeout(() => kill(child, group), timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      children.delete(entry);
      resolve({ code, signal, stdout, stderr });
    };
    child.once('error', (e) => {
      stderr += String(e);
      finish(null, null);
    });
    child.once('close', finish);
  });
  return {
    done,
    output: () => `${stdout}\n${stderr}`,
    stop: async () => {
      kill(child, group);
      await done;
    },
  };
}

import { freePort } from '@sipts/test-peers';
export { freePort };

/** True when something listens on 127.0.0.1:`port` (/proc/net: UDP bound, or TCP in LISTEN). */
export function listening(protocol: Proto, port: number): boolean {
  const table = readFileSync(protocol === 'UDP' ? '/proc/net/udp' : '/proc/net/tcp', 'latin1');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1] === local && (protocol === 'UDP' || cols[3] === '0A');
  });
}

/** Resolves when `cond()` holds (checked every 10 ms, at most `ms`). */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${String(ms)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return fallback;
  }
}

/** The cumulative counters of sipp's `-trace_stat` CSV (last line), by column name. */
function sippStats(file: string): Record<string, string> {
  const lines = readOr(file, '').trim().split('\n');
  const names = (lines[0] ?? '').split(';');
  const values = (lines[lines.length - 1] ?? '').split(';');
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
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
    ...('file' in o.scenario ? ['-sf', join(FIXTURES, o.scenario.file)] : ['-sn', o.scenario.builtIn]),
    ...(o.remote !== undefined ? [o.remote] : []),
    '-t', o.protocol === 'UDP' ? 'u1' : 't1',
    '-i', '127.0.0.1',
    '-p', String(port),
    '-m', String(o.calls),
    '-r', '20',
    '-l', '10',
    '-timeout', `${String(Math.floor(timeoutMs / 1000) - 2)}s`,
    '-timeout_error',
    '-max_recv_loops', '100',
    '-nostdin',
    '-trace_stat', '-stf', stat,
    '-trace_err', '-error_file', errors,
    ...(o.extra ?? []),
  ];
  const child = start(SIPP, args, work, timeoutMs);
  const done = child.done.then((r): SippRun => {
    const stats = sippStats(stat);
    return { ...r, successful: Number(stats['SuccessfulCall(C)'] ?? NaN), failed: Number(stats['FailedCall(C)'] ?? NaN), errors: readOr(errors, '').slice(-3000) };
  });
  if (o.remote === undefined) await until(() => listening(o.protocol, port), 5000, `sipp to listen on ${o.protocol} ${String(port)}`);
  return { port, done, stop: child.stop };
}

/** For a failed assertion: the end of sipp's output and error log. */
export function tail(r: SippRun): string {
  return `exit ${String(r.code)} ${String(r.signal)}; ok ${String(r.successful)}, failed ${String(r.failed)}\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-800)}\n${r.errors}`;
}

/** A kamailio.cfg: UDP on loopback, one worker, every request relayed statefully (tm) to its Request-URI. */
export function kamailioConfig(port: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:${String(port)}

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"

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

/** Starts kamailio in the foreground (its own process group, killed as a whole) on a free port. */
export async function startKamailio(dir: string, timeoutMs = 40_000): Promise<Kamailio> {
  const port = await freePort();
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, kamailioConfig(port));
  const runDir = mkdtempSync(join(dir, 'run-'));
  const child = start(KAMAILIO, ['-DD', '-E', '-f', cfg, '-Y', runDir, '-w', dir, '-m', '32', '-M', '4'], dir, timeoutMs, true);
  let exited = false;
  void child.done.then(() => {
    exited = true;
  });
  await until(() => exited || listening('UDP', port), 10_000, 'kamailio to listen');
  if (exited) throw new Error(`kamailio exited at start:\n${child.output().slice(-2000)}`);
  return { port, output: child.output, stop: child.stop };
}
