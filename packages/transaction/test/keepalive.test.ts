/**
 * RFC 5626 keep-alive schedules on the fake clock (the transport's scheduler driven by this
 * package's Clock): intervals from Flow-Timer or the 120 s default with 80–100 % jitter (§4.4.1),
 * the 10 s pong deadline, STUN retransmissions (RFC 5389 §7.2.1), and flow failure (§4.4.2).
 */
import { createKeepAlive, decodeStun, flowRecoveryDelayMs, stunBindingSuccess, type FlowFailureReason, type KeepAliveOptions } from '@sipts/transport';
import { describe, expect, it } from 'vitest';
import { createFakeClock, type FakeClock } from '../src/fake-clock.js';

interface Harness {
  clock: FakeClock;
  sends: { at: number; bytes: Uint8Array }[];
  failures: { at: number; reason: FlowFailureReason }[];
}

function harness(kind: 'crlf' | 'stun', extra: Partial<KeepAliveOptions> = {}) {
  const clock = createFakeClock();
  const h: Harness = { clock, sends: [], failures: [] };
  const ka = createKeepAlive({
    kind,
    clock,
    random: () => 0,
    send: (bytes) => {
      h.sends.push({ at: clock.now(), bytes });
      return Promise.resolve();
    },
    onFailure: (reason) => h.failures.push({ at: clock.now(), reason }),
    ...extra,
  });
  return { ...h, ka };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('CRLF keep-alives (RFC 5626 §4.4.1)', () => {
  it('pings at 80 % of Flow-Timer when the random draw is 0, again after each pong', () => {
    const { clock, sends, failures, ka } = harness('crlf', { flowTimerSeconds: 30 });
    clock.advance(23_999);
    expect(sends).toHaveLength(0);
    clock.advance(1);
    expect(sends.map((s) => [s.at, text(s.bytes)])).toEqual([[24_000, '\r\n\r\n']]);
    clock.advance(300);
    ka.pong();
    clock.advance(24_000);
    expect(sends.map((s) => s.at)).toEqual([24_000, 48_300]);
    ka.pong();
    expect(ka.answered).toBe(2);
    expect(failures).toEqual([]);
    ka.stop();
    expect(clock.pending).toBe(0);
  });

  it('uses 80–100 % of 120 s without Flow-Timer: 96 s at draw 0, 108 s at 0.5, just under 120 s near 1', () => {
    for (const [draw, at] of [[0, 96_000], [0.5, 108_000], [0.99999, 120_000]] as const) {
      const { clock, sends, ka } = harness('crlf', { random: () => draw });
      clock.advance(at - 1);
      expect(sends).toHaveLength(0);
      clock.advance(1);
      expect(sends).toHaveLength(1);
      ka.stop();
    }
  });

  it('fails the flow with no-pong exactly 10 s after an unanswered ping, and stops pinging', () => {
    const { clock, sends, failures } = harness('crlf', { flowTimerSeconds: 10 });
    clock.advance(8_000);
    expect(sends).toHaveLength(1);
    clock.advance(9_999);
    expect(failures).toEqual([]);
    clock.advance(1);
    expect(failures).toEqual([{ at: 18_000, reason: 'no-pong' }]);
    clock.advance(1_000_000);
    expect(sends).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('ignores a pong that comes when no ping is out (it does not count or reschedule)', () => {
    const { clock, sends, ka } = harness('crlf', { flowTimerSeconds: 10 });
    clock.advance(5_000);
    ka.pong();
    expect(ka.answered).toBe(0);
    clock.advance(3_000);
    expect(sends.map((s) => s.at)).toEqual([8_000]);
    ka.stop();
  });

  it('a new, shorter Flow-Timer reschedules the next ping from now', () => {
    const { clock, sends, ka } = harness('crlf');
    clock.advance(1_000);
    ka.setFlowTimer(5);
    clock.advance(3_999);
    expect(sends).toHaveLength(0);
    clock.advance(1);
    expect(sends.map((s) => s.at)).toEqual([5_000]);
    ka.stop();
  });

  it('a send that fails fails the flow with send-failed', async () => {
    const { clock, failures } = harness('crlf', { flowTimerSeconds: 1, send: () => Promise.reject(new Error('EPIPE')) });
    clock.advance(800);
    await Promise.resolve();
    await Promise.resolve();
    expect(failures.map((f) => f.reason)).toEqual(['send-failed']);
    expect(clock.pending).toBe(0);
  });
});

describe('STUN keep-alives (RFC 5626 §4.4.2, RFC 5389 §7.2.1)', () => {
  it('retransmits at RTO 500 ms doubling, 7 sends, and fails 16·RTO after the last', () => {
    const { clock, sends, failures } = harness('stun', { flowTimerSeconds: 25 });
    clock.advance(20_000 + 39_499);
    const offsets = sends.map((s) => s.at - 20_000);
    expect(offsets).toEqual([0, 500, 1_500, 3_500, 7_500, 15_500, 31_500]);
    const ids = new Set(sends.map((s) => Buffer.from(decodeStun(s.bytes).transactionId).toString('hex')));
    expect(ids.size).toBe(1); // retransmissions keep the transaction id
    expect(failures).toEqual([]);
    clock.advance(1);
    expect(failures).toEqual([{ at: 59_500, reason: 'stun-timeout' }]);
    expect(clock.pending).toBe(0);
  });

  it('a matching Binding success stops the retransmissions, records the mapped address and schedules the next', () => {
    const { clock, sends, failures, ka } = harness('stun', { flowTimerSeconds: 25 });
    clock.advance(20_500);
    const rq = decodeStun(sends[0]?.bytes ?? new Uint8Array());
    const other = decodeStun(stunBindingSuccess({ ...rq, transactionId: new Uint8Array(12) }, { address: '127.0.0.1', port: 1 }));
    expect(ka.stunMessage(other)).toBe(false); // not our transaction
    expect(ka.stunMessage(stunBindingSuccess(rq, { address: '127.0.0.1', port: 40_000 }))).toBe(true);
    expect(ka.mapped).toEqual({ address: '127.0.0.1', port: 40_000 });
    clock.advance(19_999);
    expect(sends).toHaveLength(2);
    clock.advance(1);
    expect(sends.map((s) => s.at)).toEqual([20_000, 20_500, 40_500]);
    expect(failures).toEqual([]);
    ka.stop();
  });

  it('a changed mapped address fails the flow (the NAT binding changed)', () => {
    const { clock, sends, failures, ka } = harness('stun', { flowTimerSeconds: 25 });
    clock.advance(20_000);
    ka.stunMessage(stunBindingSuccess(decodeStun(sends[0]?.bytes ?? new Uint8Array()), { address: '127.0.0.1', port: 40_000 }));
    clock.advance(20_000);
    ka.stunMessage(stunBindingSuccess(decodeStun(sends[1]?.bytes ?? new Uint8Array()), { address: '127.0.0.1', port: 40_002 }));
    expect(failures).toEqual([{ at: 40_000, reason: 'mapped-address-changed' }]);
    expect(clock.pending).toBe(0);
  });
});

describe('flow recovery backoff (RFC 5626 §4.5)', () => {
  it('waits 50–100 % of min(max, base·2^n): base 30 s when all flows failed, 90 s otherwise, cap 1800 s', () => {
    const low = { random: () => 0 };
    const high = { random: () => 0.9999999999 };
    expect(flowRecoveryDelayMs(0, { allFlowsFailed: true, ...low })).toBe(15_000);
    expect(flowRecoveryDelayMs(0, { allFlowsFailed: true, ...high })).toBe(30_000);
    expect(flowRecoveryDelayMs(2, { allFlowsFailed: true, ...low })).toBe(60_000);
    expect(flowRecoveryDelayMs(1, { allFlowsFailed: false, ...low })).toBe(90_000);
    expect(flowRecoveryDelayMs(20, { allFlowsFailed: true, ...high })).toBe(1_800_000);
    expect(flowRecoveryDelayMs(3, { allFlowsFailed: true, baseSeconds: 0.1, ...low })).toBe(400);
  });
});
