/**
 * Runs Debian's sipp (package sip-tester 3.6) with a scenario from ../scenarios, bounded in calls
 * (-m) and time (-timeout, and a kill timer), and returns what it sent and received, read from its
 * -trace_msg file, with its call counts.
 */
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, listening, readSippCallCounts, runTool, sippArgs, until, type RunResult, type SippCallCounts } from '@sipts/test-peers';
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
  /** New calls per second (-r). Default 10. */
  rate?: number;
  /** Calls at once (-l). Default 5. */
  limit?: number;
  /** Extra arguments (e.g. -au/-ap). */
  args?: string[];
  /** Overall bound, ms. Default 20 s. */
  timeoutMs?: number;
}

/** What a sipp run did. */
export interface SippRun extends RunResult, SippCallCounts {
  localPort: number;
  messages: WireMessage[];
  received: WireMessage[];
  sent: WireMessage[];
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
      ...sippArgs({ remote: o.remote, transport: o.transport ?? 'u1', localIp, localPort, calls: o.calls ?? 1, rate: o.rate ?? 10, limit: o.limit ?? 5, timeoutMs, statFile: stat }),
      '-sf', join(SCENARIOS, `${scenario}.xml`),
      ...(o.service !== undefined ? ['-s', o.service] : []),
      '-recv_timeout', '8000',
      '-trace_msg', '-message_file', trace,
      ...(o.args ?? []),
    ];
    const r = await runTool(SIPP, args, { cwd: work, timeoutMs, children: peers });
    const messages = existsSync(trace) ? parseTraceFile(readFileSync(trace, 'latin1')) : [];
    const traceText = existsSync(trace) ? readFileSync(trace, 'latin1') : '';
    return {
      ...r,
      localPort,
      messages,
      received: messages.filter((m) => m.direction === 'received'),
      sent: messages.filter((m) => m.direction === 'sent'),
      ...readSippCallCounts(stat),
      tail: `sipp ${scenario}: exit ${String(r.code)} ${String(r.signal)}\n${r.stderr.slice(-1500)}\n${traceText.slice(-3000)}`,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Starts a sipp UAS (scenarios/<scenario>.xml) in the background on localIp:localPort and waits
 * until it listens; `done` resolves when it has ended (after its calls, or its timeout).
 */
export async function startSippUas(scenario: string, o: SippOptions & { localPort: number }): Promise<{ done: Promise<SippRun> }> {
  const done = runSipp(scenario, o);
  const host = o.localIp ?? '127.0.0.1';
  await Promise.race([until(() => listening('UDP', o.localPort, host), 10_000, `sipp to bind UDP ${host}:${String(o.localPort)}`), done]);
  return { done };
}
