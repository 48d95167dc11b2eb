/**
 * A browser chat user agent: registers one SIP address over a WebSocket (RFC 7118) with digest
 * authentication, keeps the registration fresh, re-registers on a new socket when the old one
 * drops, and sends and receives MESSAGE (RFC 3428). Framework-free and neutral (no Node built-ins):
 * it runs in browsers and in tests with a fake transport and a fake clock.
 * @see RFC 3261 §10.2, RFC 3428, RFC 5626 §4.2, RFC 7118
 */
import type { IncomingCall } from '@sipts/dialog';
import { type SipRequest, type SipResponse } from '@sipts/message';
import { createWsPort, createWsTransport, generateTag, safely, silentLogger, wsTarget, type TransportHandlers } from '@sipts/transport';
import { createDefaultClock, type TimerHandle } from '@sipts/transaction';
import { createCallCore, type CallCore } from './call-core.js';
import { ClientError, errorForResponse } from './errors.js';
import { parseAddress, newInstanceId, randomName, type AddressOfRecord } from './identity.js';
import { answerIncoming, type IncomingMessage } from './inbound.js';
import type { ClientTransport, RegistrationState, StateEvent, UserAgent, UserAgentOptions } from './user-agent-types.js';
import { createBackoff, flowTimerOf, grantedExpires, minExpiresOf, refreshDelayMs, registrarDoesOutbound } from './registration.js';
import { buildMessage, buildRegister, registerContact } from './requests.js';
import { Sender } from './sender.js';

export type { IncomingMessage } from './inbound.js';
export type { ClientTransport, RegistrationState, StateEvent, UserAgent, UserAgentOptions } from './user-agent-types.js';

const LOGOUT_BOUND_MS = 4000;

/** One login: its transport, layer and sender, and the identifiers of its REGISTERs (§10.2). */
interface Session {
  transport: ClientTransport;
  sender: Sender;
  /** The dialog layer of this socket: calls in and out (RFC 3261 §12–§15). */
  calls: CallCore;
  stop(): void;
  callId: string;
  fromTag: string;
  cseq: number;
  expires: number;
}

/**
 * Creates a user agent; nothing is sent until {@link UserAgent.login}.
 * @throws ClientError `bad-address` for an unusable SIP address, `bad-url` for a URL that is not ws:/wss:
 * @example
 * const ua = createUserAgent({ address: 'alice@localhost', password: 'alice-secret', server: 'ws://127.0.0.1:8088' });
 * ua.onMessage((m) => show(m.from, m.text));
 * await ua.login();
 * await ua.sendMessage('bob', 'hello');
 */
export function createUserAgent(options: UserAgentOptions): UserAgent {
  const aor = parseAddress(options.address);
  if (aor === undefined) throw new ClientError('bad-address', `"${options.address}" is not a SIP address. Write it like alice@example.com.`);
  const server = options.server.trim();
  try {
    const u = new URL(server);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error('scheme');
    wsTarget(server);
  } catch (_e) {
    throw new ClientError('bad-url', `"${options.server}" is not a WebSocket address. Write it like ws://127.0.0.1:8088 or wss://sip.example.com.`);
  }
  const address: AddressOfRecord = aor;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? createDefaultClock();
  const now = options.now ?? Date.now;
  const wanted = options.expires ?? 600;
  const instanceId = options.instanceId ?? newInstanceId();
  const backoff = createBackoff(options.retry?.initialDelayMs ?? 1000, options.retry?.maxDelayMs ?? 30_000);
  // RFC 5626 §4.4.1 / RFC 7118 §6: CRLF keep-alives on the socket; a missed pong closes it and the
  // agent registers again on the next one (onFlowClosed below).
  const connect = options.connect ?? ((url: string, handlers: TransportHandlers) => createWsTransport({ url, logger, keepAlive: { clock } }, handlers));
  const stateListeners = new Set<(e: StateEvent) => void>();
  const messageListeners = new Set<(m: IncomingMessage) => void>();
  const callListeners = new Set<(call: IncomingCall) => void>();
  const viaHost = `${randomName()}.invalid`;
  // RFC 7118 §5.2: the URI transport parameter is `ws` for WS and WSS alike (only the Via says WSS).
  const contactUri = `sip:${randomName(8)}@${viaHost};transport=ws`;

  let state: RegistrationState = 'unregistered';
  let outbound = false;
  /** One login: its transport, layer and sender, and the REGISTER dialog identifiers. */
  let session: Session | undefined;
  let timer: TimerHandle | undefined;
  let attempt: Promise<void> | undefined;

  function emit(next: RegistrationState, error?: ClientError, expires?: number): void {
    state = next;
    const e: StateEvent = { state: next, error, expires };
    for (const l of [...stateListeners]) {
      safely(logger, 'a state listener', () => {
        l(e);
      });
    }
  }

  function clearTimer(): void {
    if (timer !== undefined) clock.clear(timer);
    timer = undefined;
  }

  function open(): Session {
    const handlers: TransportHandlers = {
      onRequest: (rq, remote) => {
        layer.handlers.onRequest(rq, remote);
      },
      onResponse: (rs, remote) => {
        layer.handlers.onResponse(rs, remote);
      },
      onFlowClosed: () => {
        if (session !== undefined && session.transport === transport) dropped();
      },
    };
    const transport = connect(server, handlers);
    const credentials = { username: decodeURIComponent(address.user), password: options.password };
    const calls = createCallCore({
      port: createWsPort(transport, server, viaHost),
      server: wsTarget(server),
      contact: () => (outbound ? `${contactUri};ob` : contactUri),
      from: address.uri,
      credentials,
      clock,
      logger,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      onMessage: (rq, st) => {
        const m = answerIncoming(rq, st, now());
        if (m !== undefined) for (const l of [...messageListeners]) l(m);
      },
      onCall: (call) => {
        for (const l of [...callListeners]) {
          safely(logger, 'a call listener', () => {
            l(call);
          });
        }
        return callListeners.size > 0;
      },
    });
    const layer = calls.layer;
    const sender = new Sender(layer, wsTarget(server), credentials);
    return {
      transport,
      sender,
      calls,
      stop: () => {
        calls.stop();
      },
      callId: randomName(20),
      fromTag: generateTag(),
      cseq: 0,
      expires: wanted,
    };
  }

  function close(s: Session): void {
    s.sender.abortAll();
    s.stop();
    void s.transport.close().catch(() => undefined);
  }

  /** One REGISTER (with its challenges and a 423 retry); resolves with the final response. */
  async function register(s: Session, expires: number): Promise<{ response: SipResponse; synthesized: boolean }> {
    const build = (exp: number): SipRequest => buildRegister({ aor: address, callId: s.callId, fromTag: s.fromTag, cseq: ++s.cseq, contactUri, expires: exp, instanceId, outbound });
    const fixContact = (rq: SipRequest, challenge: SipResponse): void => {
      if (registrarDoesOutbound(challenge)) outbound = true;
      rq.headers.contact = [registerContact({ contactUri, expires: Number(rq.headers.expires ?? expires), instanceId, outbound })];
    };
    let out = await s.sender.send(build(expires), fixContact);
    s.cseq = Math.max(s.cseq, out.request.headers.cseq?.seq ?? 0);
    const min = out.response.status === 423 ? minExpiresOf(out.response) : undefined;
    if (min !== undefined && min > expires) {
      s.expires = min;
      out = await s.sender.send(build(min), fixContact);
      s.cseq = Math.max(s.cseq, out.request.headers.cseq?.seq ?? 0);
    }
    if (out.response.status >= 200 && out.response.status < 300 && expires > 0) outbound = registrarDoesOutbound(out.response);
    return { response: out.response, synthesized: out.remote === undefined };
  }

  /** Registers (or refreshes) on the current session; on success schedules the refresh. */
  async function registerAndSchedule(s: Session): Promise<void> {
    const { response, synthesized } = await register(s, s.expires);
    if (session !== s || state === 'unregistering') return;
    if (response.status >= 200 && response.status < 300) {
      const granted = grantedExpires(response, { contactUri, instanceId }, s.expires);
      s.transport.setFlowTimer?.(flowTimerOf(response));
      backoff.reset();
      clearTimer();
      timer = clock.set(refreshDelayMs(granted), () => {
        timer = undefined;
        retry();
      });
      emit('registered', undefined, granted);
      return;
    }
    throw errorForResponse(response, { what: 'register', server, synthesized });
  }

  /** Refresh or re-register now; on failure keep trying with backoff (except a wrong password). */
  function retry(): void {
    const s = session;
    if (s === undefined || attempt !== undefined || state === 'unregistering') return;
    clearTimer();
    attempt = registerAndSchedule(s)
      .catch((e: unknown) => {
        if (session !== s) return;
        const error = e instanceof ClientError ? e : new ClientError('unreachable', 'The connection to the server failed.', { cause: e });
        if (error.kind === 'wrong-password' || error.kind === 'user-unknown' || error.kind === 'forbidden') {
          session = undefined;
          close(s);
          emit('failed', error);
          return;
        }
        emit('reconnecting', error);
        timer = clock.set(backoff.next(), () => {
          timer = undefined;
          retry();
        });
      })
      .finally(() => {
        attempt = undefined;
      });
  }

  /** The socket dropped: requests on it are lost; register again on the next one. */
  function dropped(): void {
    const s = session;
    if (s === undefined || state === 'unregistering') return;
    s.sender.abortAll();
    if (state === 'registering') return; // the first REGISTER fails: login() reports it
    logger.info('the WebSocket dropped: registering again', { aor: address.uri });
    if (state !== 'reconnecting') emit('reconnecting', new ClientError('unreachable', 'Lost the connection to the server. Reconnecting…'));
    if (attempt === undefined) retry();
  }

  return {
    aor: address,
    get state() {
      return state;
    },
    get outbound() {
      return outbound;
    },
    async login() {
      if (session !== undefined) throw new ClientError('rejected', 'Already signed in.');
      emit('registering');
      let s: Session;
      try {
        s = open();
      } catch (e) {
        const error = new ClientError('bad-url', `Cannot open a WebSocket to ${server}.`, { cause: e });
        emit('failed', error);
        throw error;
      }
      session = s;
      try {
        await registerAndSchedule(s);
      } catch (e) {
        const error = e instanceof ClientError ? e : new ClientError('unreachable', `Cannot reach the server at ${server}.`, { cause: e });
        if (session === s) {
          session = undefined;
          clearTimer();
          close(s);
          emit('failed', error);
        }
        throw error;
      }
    },
    async logout() {
      const s = session;
      if (s === undefined) {
        if (state !== 'unregistered') emit('unregistered');
        return;
      }
      const wasRegistered = state === 'registered';
      emit('unregistering');
      clearTimer();
      if (wasRegistered) {
        let bound: TimerHandle | undefined;
        await Promise.race([
          register(s, 0).catch(() => undefined),
          new Promise<void>((resolve) => {
            bound = clock.set(LOGOUT_BOUND_MS, resolve);
          }),
        ]);
        if (bound !== undefined) clock.clear(bound);
      }
      session = undefined;
      close(s);
      emit('unregistered');
    },
    async sendMessage(to, text) {
      const peer = parseAddress(to, address.domain);
      if (peer === undefined) throw new ClientError('bad-address', `"${to}" is not a SIP address. Write it like bob@${address.domain}.`);
      const s = session;
      if (s === undefined || state === 'unregistering') throw new ClientError('not-registered', 'Sign in first.');
      const out = await s.sender.send(buildMessage(address, peer.uri, text, randomName(20)));
      const rs = out.response;
      if (rs.status >= 200 && rs.status < 300) return;
      throw errorForResponse(rs, { what: 'message', server, target: peer.uri.replace(/^sip:/, ''), synthesized: out.remote === undefined });
    },
    onState(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    invite(invite) {
      const s = session;
      if (s === undefined || state === 'unregistering') return Promise.reject(new ClientError('not-registered', 'Sign in first.'));
      return s.calls.invite(invite);
    },
    onCall(listener) {
      callListeners.add(listener);
      return () => callListeners.delete(listener);
    },
  };
}
