/**
 * The browser agent's SIP core on one WebSocket: the dialog layer of `@sipts/dialog` (its
 * neutral root: no Node built-ins) owns the transaction layer, so calls (INVITE, ACK, BYE,
 * CANCEL) and the chat's REGISTER and MESSAGE share one socket and one layer. Every request goes
 * to the server the socket is open to (it is the outbound proxy: RFC 7118 §5 clients cannot be
 * reached any other way), digest challenges to INVITE and BYE are answered with the password.
 * @see RFC 3261 §8.1.2, §12–§15, §22.2; RFC 7118 §5
 */
import type { SipRequest } from '@sipts/message';
import { createUserAgent as createDialogAgent, type IncomingCall, type InviteOptions, type Session } from '@sipts/dialog';
import type { Clock, ServerTransactionHandle, TimerValues, TransactionLayer } from '@sipts/transaction';
import type { Logger, Target, TransportPort } from '@sipts/transport';

/** What {@link createCallCore} needs. */
export interface CallCoreOptions {
  /** The socket as a transaction-layer port. */
  port: TransportPort;
  /** The server at the other end of the socket: every request goes there. */
  server: Target;
  /** Our Contact URI (asked each time: `ob` is added once the registrar does outbound). */
  contact: () => string;
  /** Our address of record, for From. */
  from: string;
  credentials: { username: string; password: string };
  clock: Clock;
  logger: Logger;
  timers?: Partial<TimerValues>;
  /** A request outside any dialog other than INVITE (MESSAGE, OPTIONS…): answer it through `st`. */
  onMessage: (request: SipRequest, st: ServerTransactionHandle) => void;
  /** A new incoming call; return false when nobody took it (it is then answered 480). */
  onCall: (call: IncomingCall) => boolean;
}

/** One socket's SIP core: its transaction layer, the transport handlers, and calls. */
export interface CallCore {
  readonly layer: TransactionLayer;
  /** Calls `options.to` through the server; resolves with the session once the 2xx is ACKed. */
  invite(options: InviteOptions): Promise<Session>;
  /** Stops every transaction and timer (sessions end with `stopped`). */
  stop(): void;
}

/**
 * Creates the core. The dialog layer's own answers stay: OPTIONS 200, 481 for unknown dialogs,
 * 480 for an INVITE nobody takes.
 * @example
 * const core = createCallCore({ port, server: wsTarget(url), contact: () => uri, from: aor, credentials, clock, logger, onMessage, onCall });
 * const session = await core.invite({ to: 'sip:bob@localhost', body: offerSdp });
 * @see RFC 3261 §12–§15
 */
export function createCallCore(options: CallCoreOptions): CallCore {
  const agent = createDialogAgent({
    transport: options.port,
    contact: options.contact,
    from: options.from,
    outboundProxy: options.server,
    credentials: options.credentials,
    clock: options.clock,
    logger: options.logger,
    ...(options.timers === undefined ? {} : { timers: options.timers }),
  });
  agent.on('request', (rq, st) => {
    options.onMessage(rq, st);
  });
  agent.on('invite', (call) => {
    if (!options.onCall(call)) void call.reject(480).catch(() => undefined);
  });
  return {
    layer: agent.layer,
    invite: (invite) => agent.invite(invite),
    stop: () => {
      agent.stop();
    },
  };
}
