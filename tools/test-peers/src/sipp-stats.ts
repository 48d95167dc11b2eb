import { readFileSync } from 'node:fs';

/** A file's text (latin1), or `fallback` when it cannot be read (e.g. a peer that never wrote it). */
export function readOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return fallback;
  }
}

/** The call counters of a sipp run; NaN where the stat file lacks them. */
export interface SippCallCounts {
  successful: number;
  failed: number;
}

/**
 * The cumulative call counters of sipp's `-trace_stat` CSV (`-stf` file: a header line of
 * `;`-separated column names, the last line the totals at exit).
 */
export function readSippCallCounts(statFile: string): SippCallCounts {
  const lines = readOr(statFile).trim().split('\n');
  const names = (lines[0] ?? '').split(';');
  const values = (lines[lines.length - 1] ?? '').split(';');
  const stats = Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
  return { successful: Number(stats['SuccessfulCall(C)'] ?? NaN), failed: Number(stats['FailedCall(C)'] ?? NaN) };
}
