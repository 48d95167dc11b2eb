/**
 * Logging: pino JSON lines (to stderr, so stdout keeps the human-readable start-up block), and
 * the adapter that lets the sipts packages (`Logger`: `info(msg, attrs)`) log through pino.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import type { Logger } from '@sipts/transport';

/**
 * The server's pino logger at `level`, writing JSON lines to stderr.
 * @example const log = createLogger('info'); log.info({ port }, 'listening')
 */
export function createLogger(level: string): PinoLogger {
  return pino({ level, base: { app: 'sipts-server' } }, pino.destination({ fd: 2, sync: false }));
}

function errorsAsObjects(attrs: Record<string, unknown> | undefined): Record<string, unknown> {
  if (attrs === undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) out[k === 'error' ? 'err' : k] = v;
  return out;
}

/**
 * A sipts `Logger` that logs through `log` (a child with `component`).
 * @example createStack({ logger: packageLogger(log, 'stack') })
 */
export function packageLogger(log: PinoLogger, component: string): Logger {
  const child = log.child({ component });
  return {
    debug: (msg, attrs) => {
      child.debug(errorsAsObjects(attrs), msg);
    },
    info: (msg, attrs) => {
      child.info(errorsAsObjects(attrs), msg);
    },
    warn: (msg, attrs) => {
      child.warn(errorsAsObjects(attrs), msg);
    },
    error: (msg, attrs) => {
      child.error(errorsAsObjects(attrs), msg);
    },
  };
}
