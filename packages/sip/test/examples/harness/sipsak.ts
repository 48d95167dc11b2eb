/**
 * Runs Debian's sipsak 0.9.8 once, bounded in time, and splits out the replies it printed (-vv).
 * The target goes as `sip:user@host` with the port in -r: sipsak cuts five-digit ports out of the
 * request URI when they are written in -s.
 */
import { runTool, type RunResult } from '@sipts/test-peers';
import { parseWire, type WireMessage } from './wire.js';
import { peers, SIPSAK } from './sipp.js';

/** What a sipsak run did. */
export interface SipsakRun extends RunResult {
  replies: WireMessage[];
  tail: string;
}

/** Runs sipsak with `args` (plus -vv and -H 127.0.0.1). */
export async function runSipsak(args: string[], timeoutMs = 15_000): Promise<SipsakRun> {
  const r = await runTool(SIPSAK, [...args, '-vv', '-H', '127.0.0.1'], { timeoutMs, children: peers });
  const replies = [...r.stdout.matchAll(/(?:message received|response|received):\n(SIP\/2\.0 [\s\S]*?)\n\n\n/g)].map((m) =>
    parseWire(m[1] ?? ''),
  );
  return { ...r, replies, tail: `sipsak ${args.join(' ')}: exit ${String(r.code)}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}` };
}
