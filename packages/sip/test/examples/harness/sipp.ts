/**
 * Runs Debian's sipp (package sip-tester 3.6) with a scenario from ../scenarios, bounded in calls
 * (-m) and time (-timeout, and a kill timer), and returns what it sent and received, read from its
 * -trace_msg file, with its call counts.
 */
import { type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runTool, type RunResult } from '@sipts/test-peers';
import { parseTraceFile, type WireMessage } from './wire.js';

export const SIPP = '/usr/bin/sipp';
export const SIPSAK = '/usr/bin/sipsak';
const SCENARIOS = fileURLToPath(new URL('../scenarios/', import.meta.url));

/** Children of the peers still running: each test file's afterAll kills what is left. */
export const peers = new Set<ChildProcess>();

/** Kills every peer still running. */
export function killPeers(): void {
  for (const c of peers) c.kill('SIGKILL');
}

/** Options of {@link runSipp}. */
export interface SippOptions {
  /** The app's address (host:port); omitted for a UAS. */
  remote?: string;
  /** The user part, [service] in the scenarios. */
  service?: string;
  /** u1 (UDP, one socket) or t1 (TCP, one connection). Default u1. */
  transport?: 'u1' | 't1';
  localIp?: string;
  localPort?: number;
  /** Number of calls (-m). Default 1. */
  calls?: number;
  /** Extra arguments (e.g. -au/-ap). */
  args?: string[];
  /** Overall bound, ms. Default 20 s. */
  timeoutMs?: number;
}

/** What a sipp run did. */
export interface SippRun extends RunResult {
  localPort: number;
  messages: WireMessage[];
  received: WireMessage[];
  sent: WireMessage[];
  successful: number;
  failed: number;
  /** For a failed assertion: how sipp ended and the end of its output and trace. */
  tail: string;
}

/** Runs scenarios/<scenario>.xml. */
export async function runSipp(scenario: string, o: SippOptions = {}): Promise<SippRun> {
  const work = mkdtempSync(join(tmpdir(), 'sipts-examples-sipp-'));
  try {
    const localIp = o.localIp ?? '127.0.0.1';
    const localPort = o.localPort ?? (await freePort(localIp));
    const timeoutMs = o.timeoutMs ?? 20_000;
    const stat = join(work, 'stat.csv');
    const trace = join(work, 'messages.log');
    const args = [
      ...(o.remote !== undefined ? [o.remote] : []),
      '-sf', join(SCENARIOS, `${scenario}.xml`),
      '-t', o.transport ?? 'u1',
      '-i', localIp,
      '-p', String(localPort),
      ...(o.service !== undefined ? ['-s', o.service] : []),
      '-m', String(o.calls ?? 1),
      '-r', '10',
      '-l', '5',
      '-timeout', `${String(Math.max(1, Math.floor(timeoutMs / 1000) - 2))}s`,
      '-timeout_error',
      '-recv_timeout', '8000',
      '-max_recv_loops', '100',
      '-nostdin',
      '-trace_msg', '-message_file', trace,
      '-trace_stat', '-stf', stat,
      ...(o.args ?? []),
    ];
    const r = await runTool(SIPP, args, { cwd: work, timeoutMs, children: peers });
    const messages = existsSync(trace) ? parseTraceFile(readFileSync(trace, 'latin1')) : [];
    let stats: Record<string, string> = {};
    if (existsSync(stat)) {
      const lines = readFileSync(stat, 'latin1').trim().split('\n');
      const names = (lines[0] ?? '').split(';');
      const values = (lines[lines.length - 1] ?? '').split(';');
      stats = Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
    }
    const traceText = existsSync(trace) ? readFileSync(trace, 'latin1') : '';
    return {
      ...r,
      localPort,
      messages,
      received: messages.filter((m) => m.direction === 'received'),
      sent: messages.filter((m) => m.direction === 'sent'),
      successful: Number(stats['SuccessfulCall(C)'] ?? NaN),
      failed: Number(stats['FailedCall(C)'] ?? NaN),
      tail: `sipp ${scenario}: exit ${String(r.code)} ${String(r.signal)}\n${r.stderr.slice(-1500)}\n${traceText.slice(-3000)}`,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Resolves once something has bound UDP host:port (our own bind fails with EADDRINUSE). */
export async function waitForUdpBound(port: number, host = '127.0.0.1', ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const socket = createSocket('udp4');
    const taken = await new Promise<boolean>((resolve) => {
      socket.once('error', () => {
        resolve(true);
      });
      socket.bind(port, host, () => {
        resolve(false);
      });
    });
    await new Promise<void>((r) => socket.close(() => { r(); })).catch(() => undefined);
    if (taken) return;
    if (Date.now() > end) throw new Error(`nothing bound UDP ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a sipp UAS (scenarios/<scenario>.xml) in the background on localIp:localPort and waits
 * until it listens; `done` resolves when it has ended (after its calls, or its timeout).
 */
export async function startSippUas(scenario: string, o: SippOptions & { localPort: number }): Promise<{ done: Promise<SippRun> }> {
  const done = runSipp(scenario, o);
  await Promise.race([waitForUdpBound(o.localPort, o.localIp ?? '127.0.0.1'), done]);
  return { done };
}
