/** Options of {@link sippArgs}. */
export interface SippArgsOptions {
  /** The remote `host:port` of a UAC; none (undefined) for a UAS. */
  remote?: string | undefined;
  /** sipp's transport mode: u1 (UDP, one socket) or t1 (TCP, one connection). */
  transport: 'u1' | 't1';
  /** `-i`. Default 127.0.0.1. */
  localIp?: string;
  /** `-p`: take one from freePort (sipp binds it for UDP and TCP, and defaults to 5060). */
  localPort: number;
  /** `-m`: sipp exits after this many calls. */
  calls: number;
  /** `-r`: new calls per second. */
  rate: number;
  /** `-l`: calls at once. */
  limit: number;
  /** The run's bound: `-timeout` is 2 s less (at least 1 s), so sipp ends before a kill timer of this length. */
  timeoutMs: number;
  /** `-stf`: the `-trace_stat` CSV (read it back with readSippCallCounts). */
  statFile: string;
}

/**
 * The arguments every sipp run of the tests starts with: loopback addresses, bounded in calls,
 * rate and time (`-timeout_error`: a run that times out fails), no stdin, stats to a file. The
 * caller adds the scenario (`-sf`/`-sn`) and the rest.
 * @example runTool('/usr/bin/sipp', [...sippArgs({ ... }), '-sf', scenario], { timeoutMs, cwd })
 */
export function sippArgs(o: SippArgsOptions): string[] {
  return [
    ...(o.remote !== undefined ? [o.remote] : []),
    '-t', o.transport,
    '-i', o.localIp ?? '127.0.0.1',
    '-p', String(o.localPort),
    '-m', String(o.calls),
    '-r', String(o.rate),
    '-l', String(o.limit),
    '-timeout', `${String(Math.max(1, Math.floor(o.timeoutMs / 1000) - 2))}s`,
    '-timeout_error',
    '-max_recv_loops', '100',
    '-nostdin',
    '-trace_stat', '-stf', o.statFile,
  ];
}
