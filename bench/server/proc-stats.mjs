/**
 * CPU time (user+sys) and RSS of a process group from /proc: the server under test runs as a
 * small launcher and its tsx child, both in one group.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const TICKS_PER_SECOND = 100;
const PAGE = 4096;

/** @returns {{ cpuMs: number, rss: number }} summed over every live process of group `pgid` */
export function groupStats(pgid) {
  const pids = spawnSync('pgrep', ['-g', String(pgid)], { encoding: 'latin1' }).stdout.trim().split('\n').filter(Boolean);
  let ticks = 0;
  let rss = 0;
  let largest = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      const bytes = Number(fields[21]) * PAGE;
      rss += bytes;
      largest = Math.max(largest, bytes);
    } catch {
      // the process exited meanwhile
    }
  }
  return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, rss, largestRss: largest };
}
