import { readFileSync } from 'node:fs';

/**
 * Resolves when `cond()` holds, checked every 20 ms.
 * @throws Error (rejects) naming `what` when it does not hold within `ms`
 */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${String(ms)} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * True when something listens on `host`:`port` (an IPv4 address, default 127.0.0.1), read from
 * /proc/net (Linux, little-endian): UDP bound, or TCP in the LISTEN state.
 */
export function listening(protocol: 'UDP' | 'TCP', port: number, host = '127.0.0.1'): boolean {
  const table = readFileSync(protocol === 'UDP' ? '/proc/net/udp' : '/proc/net/tcp', 'latin1');
  const address = host.split('.').reverse().map((n) => Number(n).toString(16).padStart(2, '0')).join('');
  const local = `${address}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
  return table.split('\n').some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1] === local && (protocol === 'UDP' || cols[3] === '0A');
  });
}
