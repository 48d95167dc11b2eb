/**
 * Shared by the bench UAS processes (uas-sipts.mjs, uas-classic.mjs): the IPC protocol with
 * main.mjs and a FIFO of delayed answers.
 *
 * IPC: the UAS sends `{type: 'ready', port}`; `{cmd: 'mark'}` starts a measurement window (CPU
 * and wall clock), `{cmd: 'stats'}` answers `{type: 'stats', ...}` with CPU user+sys and wall time
 * since the mark, RSS, heap and the UAS's own counters; `{cmd: 'stop'}` exits.
 */
import { performance } from 'node:perf_hooks';

/**
 * Answers queued with `push(fn)` run `delayMs` after they were queued, in order, from one timer
 * (a constant delay keeps the queue sorted): the TU's cost of holding a transaction open is one
 * array slot, not a setTimeout each.
 */
export function createDelayQueue(delayMs) {
  const due = [];
  const fns = [];
  let head = 0;
  let timer;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (head < fns.length && due[head] <= now + 0.5) {
      const fn = fns[head];
      fns[head] = undefined;
      head++;
      fn();
    }
    if (head === fns.length) {
      due.length = 0;
      fns.length = 0;
      head = 0;
      return;
    }
    if (head > 65_536) {
      due.splice(0, head);
      fns.splice(0, head);
      head = 0;
    }
    timer = setTimeout(flush, Math.max(1, due[head] - now));
  };
  return {
    push(fn) {
      if (delayMs <= 0) {
        fn();
        return;
      }
      due.push(performance.now() + delayMs);
      fns.push(fn);
      timer ??= setTimeout(flush, delayMs);
    },
    get length() {
      return fns.length - head;
    },
  };
}

/**
 * Serves main.mjs.
 * @param {{ port: number, counters: () => Record<string, number>, stop: () => Promise<void> | void }} uas
 */
export function serveParent(uas) {
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', (m) => {
    if (m?.cmd === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      process.send({ type: 'marked' });
    } else if (m?.cmd === 'stats') {
      const cpu = process.cpuUsage(cpu0);
      const mem = process.memoryUsage();
      process.send({
        type: 'stats',
        wallMs: performance.now() - t0,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        maxRss: process.resourceUsage().maxRSS * 1024,
        ...uas.counters(),
      });
    } else if (m?.cmd === 'stop') {
      Promise.resolve(uas.stop()).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: uas.port });
}
