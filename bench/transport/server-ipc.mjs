/**
 * The IPC side of a bench server process (echo-server.mjs, layer-server.mjs): reports `ready` with
 * its ports, answers `mem` (memory after two full GCs, needs --expose-gc) and `stats`, and exits on
 * `stop` once its sockets are closed. The parent kills it if it does not.
 */

/** Memory of this process after GC, in bytes. */
export function memoryAfterGc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, gc: typeof globalThis.gc === 'function' };
}

/**
 * Serves the parent's commands.
 * @param {{ ports: Record<string, number>, open: () => number, stats?: () => unknown, stop: () => Promise<void> }} server
 */
export function serveParent(server) {
  process.on('message', (m) => {
    if (m?.cmd === 'mem') process.send({ type: 'mem', ...memoryAfterGc(), open: server.open() });
    else if (m?.cmd === 'stats') process.send({ type: 'stats', open: server.open(), stats: server.stats?.() });
    else if (m?.cmd === 'stop') {
      server.stop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', ports: server.ports });
}
