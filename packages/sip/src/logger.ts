/**
 * The classic `logger` option (`send(m, target)`, `recv(m, remote)`, `error(e)`) adapted to the
 * layers' leveled {@link Logger} and raw-traffic {@link TraceHook}.
 */
import { parse, SipError, type SipMessage } from '@sipts/message';
import type { Logger, Remote, TraceHook } from '@sipts/transport';

/** The classic logger: every hook optional. A leveled logger (pino, console) may be given too. */
export interface ClassicLogger {
  /** Every outgoing message (after Via stamping) and where it goes. */
  send?: (message: SipMessage, target: Remote) => void;
  /** Every incoming message that parsed, and where it came from. */
  recv?: (message: SipMessage, remote: Remote) => void;
  /** Errors: a throwing `onRequest`, failed sends, bind failures. */
  error?: (error: unknown) => void;
  debug?: Logger['debug'];
  info?: Logger['info'];
  warn?: Logger['warn'];
}

function call(fn: (() => void) | undefined): void {
  try {
    fn?.();
  } catch {
    // a throwing logger must not break the stack
  }
}

/**
 * The leveled logger the layers get: `error` goes to the classic `logger.error` with the error
 * object (or an Error carrying the message); other levels go to the same-named methods if any.
 * @example createStack({ logger: toLayerLogger({ error: (e) => console.error(e) }) })
 */
export function toLayerLogger(classic: ClassicLogger | undefined): Logger | undefined {
  if (classic === undefined) return undefined;
  const { debug, info, warn, error } = classic;
  if (debug === undefined && info === undefined && warn === undefined && error === undefined) return undefined;
  return {
    debug: (msg, attrs) => {
      call(debug && (() => { debug.call(classic, msg, attrs); }));
    },
    info: (msg, attrs) => {
      call(info && (() => { info.call(classic, msg, attrs); }));
    },
    warn: (msg, attrs) => {
      call(warn && (() => { warn.call(classic, msg, attrs); }));
    },
    error: (msg, attrs) => {
      if (error === undefined) return;
      const cause = attrs?.error;
      call(() => { error.call(classic, cause instanceof Error ? cause : new SipError('internal-error', msg, cause === undefined ? undefined : { cause })); });
    },
  };
}

/**
 * The trace hook that feeds `logger.send` / `logger.recv` with parsed messages (only when the
 * classic logger has them, so the stack parses nothing twice otherwise).
 * @example createStack({ trace: toTraceHook(logger) })
 */
export function toTraceHook(classic: ClassicLogger | undefined, inner?: TraceHook): TraceHook | undefined {
  const send = classic?.send;
  const recv = classic?.recv;
  if (send === undefined && recv === undefined) return inner;
  return {
    onSend(bytes, remote) {
      inner?.onSend?.(bytes, remote);
      if (send === undefined) return;
      const m = parse(bytes);
      if (m !== undefined) call(() => { send.call(classic, m, remote); });
    },
    onReceive(bytes, remote) {
      inner?.onReceive?.(bytes, remote);
      if (recv === undefined) return;
      const m = parse(bytes);
      if (m !== undefined) call(() => { recv.call(classic, m, remote); });
    },
  };
}
