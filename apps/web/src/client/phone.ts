/**
 * One audio call at a time for the browser agent: place a call (INVITE with our SDP offer, CANCEL
 * when hung up before the answer), take one (180 Ringing, then 200 with our answer, or a decline),
 * hang up (BYE) from either side. SIP is done by `@sipts/dialog` through the agent; the media by a
 * {@link CallMedia}. A second incoming call while one is in progress is answered 486 Busy Here.
 * @see RFC 3261 §13 (INVITE), §9 (CANCEL), §15 (BYE); RFC 3264 (offer/answer)
 */
import { CallFailedError, type IncomingCall, type Session } from '@sipts/dialog';
import { shortAddress } from './chat-view.js';
import { callFailureText, endText } from './call-errors.js';
import type { CallMedia, CallMediaFactory } from './call-media.js';
import { ClientError } from './errors.js';
import { parseAddress } from './identity.js';
import type { UserAgent } from './user-agent-types.js';

/** Where the call stands. `idle`: no call. */
export type CallState = 'idle' | 'calling' | 'ringing' | 'incoming' | 'answering' | 'connected';

/** A change of call state; `note` says why a call ended or did not connect. */
export interface CallEvent {
  state: CallState;
  /** The other user (`bob@localhost`), while there is a call. */
  peer: string | undefined;
  direction: 'out' | 'in' | undefined;
  note: string | undefined;
}

/** Options of {@link createPhone}. */
export interface PhoneOptions {
  agent: Pick<UserAgent, 'aor' | 'invite' | 'onCall'>;
  /** Makes the media of each call. */
  media: CallMediaFactory;
}

/** The calls of one signed-in agent. */
export interface Phone {
  readonly state: CallState;
  /**
   * Calls `to` (a SIP address; a bare name takes our domain); resolves once connected.
   * @throws ClientError `bad-address`, `rejected` (a call is in progress, or the callee refused:
   *   the message says why), `not-registered`
   */
  call(to: string): Promise<void>;
  /** Answers the ringing incoming call; resolves once connected (the caller's ACK arrived). */
  accept(): Promise<void>;
  /** Declines the ringing incoming call (603 Decline). */
  decline(): Promise<void>;
  /** Ends the call in any state: CANCEL, decline or BYE, whichever fits. */
  hangUp(): Promise<void>;
  /** Audio bytes received in the current call (RTP payload), undefined without one. */
  bytesReceived(): Promise<number | undefined>;
  onChange(listener: (e: CallEvent) => void): () => void;
  /** Ends any call and stops listening for new ones. */
  dispose(): void;
}

interface Current {
  direction: 'out' | 'in';
  peer: string;
  media: CallMedia | undefined;
  session: Session | undefined;
  incoming: IncomingCall | undefined;
  abort: AbortController | undefined;
  ended: boolean;
}

/**
 * Creates the phone of `options.agent`.
 * @example
 * const phone = createPhone({ agent: ua, media: () => createWebRtcMedia({ output: audio }) });
 * phone.onChange((e) => show(e.state, e.peer, e.note));
 * await phone.call('bob');
 */
export function createPhone(options: PhoneOptions): Phone {
  const { agent } = options;
  const listeners = new Set<(e: CallEvent) => void>();
  let state: CallState = 'idle';
  let current: Current | undefined;

  function emit(next: CallState, note?: string): void {
    state = next;
    const e: CallEvent = { state: next, peer: next === 'idle' ? undefined : current?.peer, direction: next === 'idle' ? undefined : current?.direction, note };
    for (const l of [...listeners]) l(e);
  }

  /** Ends `c` locally (media closed) and goes idle with `note`; idempotent. */
  function finish(c: Current, note: string | undefined): void {
    if (c.ended) return;
    c.ended = true;
    c.media?.close();
    if (current === c) {
      current = undefined;
      emit('idle', note);
    }
  }

  function connected(c: Current, session: Session): void {
    c.session = session;
    if (c.ended) {
      void session.bye().catch(() => undefined);
      return;
    }
    emit('connected');
    void session.ended.then((end) => {
      finish(c, endText(end, c.peer));
    });
  }

  function onIncoming(call: IncomingCall): void {
    if (current !== undefined) {
      void call.reject(486).catch(() => undefined);
      return;
    }
    if (call.offer === undefined || call.offer === '') {
      // This phone answers offers only (RFC 3264 §5): an INVITE without SDP is refused.
      void call.reject(488).catch(() => undefined);
      return;
    }
    const from = call.request.headers.from?.uri;
    const c: Current = { direction: 'in', peer: shortAddress(typeof from === 'string' ? from : 'unknown'), media: undefined, session: undefined, incoming: call, abort: undefined, ended: false };
    current = c;
    call.on('cancel', () => {
      finish(c, `Missed call from ${c.peer}.`);
    });
    emit('incoming');
    void call.progress(180).catch(() => undefined);
  }

  const unsubscribe = agent.onCall(onIncoming);

  async function place(c: Current, uri: string): Promise<void> {
    const abort = new AbortController();
    c.abort = abort;
    const media = options.media();
    c.media = media;
    const offer = await media.offer();
    if (c.ended) return;
    const session = await agent.invite({
      to: uri,
      body: offer,
      signal: abort.signal,
      reliable: false,
      onProgress: (rs) => {
        if ((rs.status === 180 || rs.status === 183) && state === 'calling' && current === c) emit('ringing');
      },
    });
    const answer = session.sdp.remote;
    if (answer === undefined || answer === '') {
      void session.bye().catch(() => undefined);
      throw new ClientError('rejected', `${c.peer} answered without audio.`);
    }
    await media.accept(answer);
    connected(c, session);
  }

  async function hangUp(): Promise<void> {
    const c = current;
    if (c === undefined) return;
    const was = state;
    finish(c, 'Call ended.');
    if (c.session !== undefined) await c.session.bye().catch(() => undefined);
    else if (c.abort !== undefined) c.abort.abort();
    // Ringing: decline. Answering (200 sent, no ACK yet): connected() sends BYE once the ACK is in.
    else if (c.incoming !== undefined && was === 'incoming') await c.incoming.reject(603).catch(() => undefined);
  }

  return {
    get state() {
      return state;
    },
    async call(to) {
      if (current !== undefined) throw new ClientError('rejected', 'Hang up the current call first.');
      const peer = parseAddress(to, agent.aor.domain);
      if (peer === undefined) throw new ClientError('bad-address', `"${to}" is not a SIP address. Write it like bob@${agent.aor.domain}.`);
      const c: Current = { direction: 'out', peer: shortAddress(peer.uri), media: undefined, session: undefined, incoming: undefined, abort: undefined, ended: false };
      current = c;
      emit('calling');
      try {
        await place(c, peer.uri);
      } catch (e) {
        const note = e instanceof CallFailedError ? callFailureText(e.status ?? 500, c.peer) : c.ended ? undefined : e instanceof Error ? e.message : String(e);
        finish(c, note);
        if (note !== undefined && !(e instanceof ClientError)) throw new ClientError('rejected', note, { cause: e, ...(e instanceof CallFailedError && e.status !== undefined ? { status: e.status } : {}) });
        if (e instanceof ClientError) throw e;
      }
    },
    async accept() {
      const c = current;
      const call = c?.incoming;
      if (c === undefined || call === undefined || state !== 'incoming') throw new ClientError('rejected', 'There is no call to answer.');
      emit('answering');
      try {
        const media = options.media();
        c.media = media;
        const answer = await media.answer(call.offer ?? '');
        if (c.ended) {
          if (!call.cancelled) void call.reject(603).catch(() => undefined); // hung up while the answer was made
          return;
        }
        connected(c, await call.accept({ body: answer }));
      } catch (e) {
        if (!c.ended && !call.cancelled) void call.reject(488).catch(() => undefined);
        finish(c, c.ended ? undefined : e instanceof Error ? e.message : String(e));
      }
    },
    async decline() {
      const c = current;
      if (c?.incoming === undefined || state !== 'incoming') return;
      finish(c, `Declined the call from ${c.peer}.`);
      await c.incoming.reject(603).catch(() => undefined);
    },
    hangUp,
    async bytesReceived() {
      return current?.media?.bytesReceived();
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      unsubscribe();
      void hangUp();
    },
  };
}
