/**
 * The browser chat user agent's public shapes: its options, its state and events, and the
 * transport it needs.
 * @see RFC 3261 §10.2, RFC 3428, RFC 7118
 */
import type { IncomingCall, InviteOptions, Session } from '@sipts/dialog';
import type { Logger, TransportHandlers, WsTransport } from '@sipts/transport';
import type { Clock, TimerValues } from '@sipts/transaction';
import type { ClientError } from './errors.js';
import type { AddressOfRecord } from './identity.js';
import type { IncomingMessage } from './inbound.js';

/** Where the registration stands. */
export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'reconnecting' | 'unregistering' | 'failed';

/** A change of registration state; `error` says why it failed or why it is reconnecting. */
export interface StateEvent {
  state: RegistrationState;
  error: ClientError | undefined;
  /** Seconds the registrar granted (state `registered`). */
  expires: number | undefined;
}

/** The transport the agent talks through (a {@link WsTransport}, or a fake in tests). */
export type ClientTransport = Pick<WsTransport, 'send' | 'close'> & Partial<Pick<WsTransport, 'setFlowTimer'>>;

/** Options of {@link createUserAgent}. */
export interface UserAgentOptions {
  /** `sip:alice@example.com`, `alice@example.com`. */
  address: string;
  password: string;
  /** The server's `ws://` or `wss://` URL. */
  server: string;
  /** `urn:uuid:…` kept across sessions (RFC 5626 §4.1); default a new one. */
  instanceId?: string;
  /** Registration lifetime to ask for, seconds. Default 600. */
  expires?: number;
  /**
   * Opens the transport; default {@link createWsTransport} with `reconnect` and RFC 5626
   * keep-alives (CRLF pings on the agent's clock, at the registrar's Flow-Timer).
   */
  connect?: (url: string, handlers: TransportHandlers) => ClientTransport;
  /** Timers (refresh, retries, transactions). Default `createDefaultClock()`. */
  clock?: Clock;
  /** Wall clock for message times. Default `Date.now`. */
  now?: () => number;
  /** Re-register backoff after a failure: default 1 s doubling to 30 s. */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
  timers?: Partial<TimerValues>;
  logger?: Logger;
}

/** A chat user agent for one SIP address. */
export interface UserAgent {
  readonly aor: AddressOfRecord;
  readonly state: RegistrationState;
  /** The registrar said it does outbound (RFC 5626): the Contact carries `ob`. */
  readonly outbound: boolean;
  /**
   * Connects and registers. Resolves once registered.
   * @throws ClientError (`unreachable`, `timeout`, `wrong-password`, `user-unknown`, …); the agent is then `failed` and closed
   */
  login(): Promise<void>;
  /** Removes the registration (REGISTER with expires 0, bounded in time) and closes the socket. */
  logout(): Promise<void>;
  /**
   * Sends `text` as a MESSAGE to `to` (a SIP address; a bare user name takes our domain).
   * @throws ClientError `bad-address`, `not-registered`, or the plain-words reason the message was refused
   */
  sendMessage(to: string, text: string): Promise<void>;
  /** Registration state changes. Returns an unsubscribe function. */
  onState(listener: (e: StateEvent) => void): () => void;
  /** Chat messages received. Returns an unsubscribe function. */
  onMessage(listener: (m: IncomingMessage) => void): () => void;
  /**
   * Sends an INVITE through the server (the dialog layer of `@sipts/dialog`); resolves with the
   * session once its 2xx is ACKed.
   * @throws ClientError `not-registered`; CallFailedError for a final non-2xx response
   */
  invite(options: InviteOptions): Promise<Session>;
  /** Incoming calls. Without a listener a call is answered 480. Returns an unsubscribe function. */
  onCall(listener: (call: IncomingCall) => void): () => void;
}
