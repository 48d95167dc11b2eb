/**
 * A small UAS on `createStack` for the interop tests (sipp as UAC against it): OPTIONS 200;
 * REGISTER 200 echoing each Contact with its expiry; INVITE 180 at once, then after
 * `answerAfterMs` (on the stack's clock) 200 with a To tag, a Contact and SDP, retransmitted by
 * this core until the ACK (RFC 3261 §13.3.1.4: T1 doubling up to T2, for 64·T1); a CANCEL is
 * answered by the transaction layer (200, and 487 to the INVITE) and stops the pending answer;
 * BYE 200 within a known call, 481 otherwise.
 * @see RFC 3261 §13.3.1.4, §15.1.2, §10.3, §9.2
 */
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag, type Remote } from '@sipts/transport';
import { DEFAULT_TIMERS, type Clock, type TimerHandle, type TimerValues } from '../src/clock.js';
import { createStack, type Stack, type StackOptions } from '../src/node/index.js';
import type { ServerTransactionHandle } from '../src/server-handle.js';
import { createDefaultClock } from '../src/timer-heap.js';

/** Options of {@link startUas}: the stack's, plus when INVITEs are answered. */
export interface UasOptions extends Partial<StackOptions> {
  /** Delay between the 180 and the 200 of an INVITE (default 50 ms). */
  answerAfterMs?: number;
}

/** What the UAS saw and holds; `stop()` ends its calls, timers and the stack. */
export interface Uas {
  readonly stack: Stack;
  readonly clock: Clock;
  /** New requests by method (retransmissions absorbed by transactions are not counted). */
  readonly requests: Map<string, number>;
  /** ACKs for 2xx (no transaction) and CANCELs matched to an INVITE. */
  readonly counts: { acks: number; cancels: number; answered: number; retransmitted2xx: number; unknownBye: number; sendFailures: number };
  /** Calls (by Call-ID) not ended by a BYE or a CANCEL yet. */
  readonly calls: number;
  port(protocol: 'UDP' | 'TCP'): number;
  stop(): Promise<void>;
}

/** One call of the UAS: its INVITE transaction and its pending answer or 2xx retransmission. */
interface Call {
  st: ServerTransactionHandle;
  toTag: string;
  timer: TimerHandle | undefined;
  ok: SipResponse | undefined;
  acked: boolean;
}

const SDP =
  'v=0\r\n' +
  'o=sipts 1 1 IN IP4 127.0.0.1\r\n' +
  's=-\r\n' +
  'c=IN IP4 127.0.0.1\r\n' +
  't=0 0\r\n' +
  'm=audio 49170 RTP/AVP 0\r\n' +
  'a=rtpmap:0 PCMU/8000\r\n';

/** Starts the UAS on 127.0.0.1 (UDP and TCP on ephemeral ports unless `options` says otherwise). */
export async function startUas(options: UasOptions = {}): Promise<Uas> {
  const { answerAfterMs = 50, ...stackOptions } = options;
  const clock = options.clock ?? createDefaultClock();
  const timers: TimerValues = { ...DEFAULT_TIMERS, ...options.timers };
  const requests = new Map<string, number>();
  const counts = { acks: 0, cancels: 0, answered: 0, retransmitted2xx: 0, unknownBye: 0, sendFailures: 0 };
  const calls = new Map<string, Call>();

  const stack = createStack({
    address: '127.0.0.1',
    udp: { port: 0 },
    tcp: { port: 0 },
    ...stackOptions,
    clock,
    onAck(ack) {
      counts.acks++;
      const call = calls.get(ack.headers['call-id'] ?? '');
      if (call === undefined) return;
      call.acked = true;
      clearTimer(call);
    },
  });

  function clearTimer(call: Call): void {
    if (call.timer !== undefined) clock.clear(call.timer);
    call.timer = undefined;
  }

  function failed(): void {
    counts.sendFailures++;
  }

  function contactFor(remote: Remote): { uri: string; params: Record<string, never> } {
    const protocol = remote.protocol === 'TCP' ? 'TCP' : 'UDP';
    const port = stack.transport.listening.find((l) => l.protocol === protocol)?.port ?? remote.local.port;
    return { uri: `sip:uas@127.0.0.1:${String(port)}${protocol === 'TCP' ? ';transport=tcp' : ''}`, params: {} };
  }

  /** §13.3.1.4: the 2xx again at T1, 2·T1, … capped at T2, until the ACK or 64·T1. */
  function retransmit2xx(call: Call, interval: number, elapsed: number): void {
    if (elapsed >= 64 * timers.T1) return;
    call.timer = clock.set(interval, () => {
      call.timer = undefined;
      if (call.acked || call.ok === undefined || call.st.state !== 'accepted') return;
      counts.retransmitted2xx++;
      call.st.respond(call.ok).catch(failed);
      retransmit2xx(call, Math.min(2 * interval, timers.T2), elapsed + interval);
    });
  }

  function answer(call: Call, remote: Remote): void {
    call.timer = undefined;
    if (call.st.cancelled || call.st.state !== 'proceeding') return;
    const rq = call.st.request;
    call.ok = makeResponse(rq, 200, undefined, {
      toTag: call.toTag,
      headers: { contact: [contactFor(remote)], 'content-type': 'application/sdp' },
      content: SDP,
    });
    counts.answered++;
    call.st.respond(call.ok).catch(failed);
    if (remote.protocol === 'UDP') retransmit2xx(call, timers.T1, 0);
  }

  function onInvite(rq: SipRequest, st: ServerTransactionHandle, remote: Remote): void {
    const callId = rq.headers['call-id'] ?? '';
    const call: Call = { st, toTag: generateTag(), timer: undefined, ok: undefined, acked: false };
    calls.set(callId, call);
    st.onCancel = () => {
      counts.cancels++;
      clearTimer(call);
      calls.delete(callId);
    };
    st.respond(makeResponse(rq, 180, undefined, { toTag: call.toTag, headers: { contact: [contactFor(remote)] } })).catch(failed);
    call.timer = clock.set(answerAfterMs, () => {
      answer(call, remote);
    });
  }

  function onRegister(rq: SipRequest, st: ServerTransactionHandle): void {
    const expires = rq.headers.expires;
    const fallback = typeof expires === 'string' || typeof expires === 'number' ? String(expires) : '3600';
    const contact = (rq.headers.contact ?? []).map((c) => ({ ...c, params: { ...c.params, expires: c.params.expires ?? fallback } }));
    st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { contact } })).catch(failed);
  }

  function onBye(rq: SipRequest, st: ServerTransactionHandle): void {
    const callId = rq.headers['call-id'] ?? '';
    const call = calls.get(callId);
    if (call === undefined) {
      counts.unknownBye++;
      st.respond(makeResponse(rq, 481, undefined, { toTag: generateTag() })).catch(failed);
      return;
    }
    // The BYE ends the dialog: a 2xx still unacknowledged is not retransmitted any more.
    clearTimer(call);
    calls.delete(callId);
    st.respond(makeResponse(rq, 200)).catch(failed);
  }

  stack.setRequestHandler((rq, st, remote) => {
    requests.set(rq.method, (requests.get(rq.method) ?? 0) + 1);
    switch (rq.method) {
      case 'INVITE':
        onInvite(rq, st, remote);
        return;
      case 'REGISTER':
        onRegister(rq, st);
        return;
      case 'BYE':
        onBye(rq, st);
        return;
      case 'OPTIONS':
        st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag(), headers: { allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER' } })).catch(failed);
        return;
      default:
        st.respond(makeResponse(rq, 501, undefined, { toTag: generateTag() })).catch(failed);
    }
  });
  await stack.start();

  return {
    stack,
    clock,
    requests,
    counts,
    get calls() {
      return calls.size;
    },
    port(protocol) {
      const l = stack.transport.listening.find((x) => x.protocol === protocol);
      if (l === undefined) throw new Error(`no ${protocol} listener`);
      return l.port;
    },
    async stop() {
      for (const call of calls.values()) clearTimer(call);
      calls.clear();
      await stack.stop();
    },
  };
}
