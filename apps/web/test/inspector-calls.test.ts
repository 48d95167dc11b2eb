/**
 * Calls, transactions, retransmissions, filters, the ladder's layout and batched loading
 * (src/inspector/calls.ts, filter.ts, ladder.ts, capture-load.ts, capture-store.ts): pure logic, in Node.
 */
import { describe, expect, it } from 'vitest';
import { loadCapture, type LoadBatch } from '../src/inspector/capture-load.js';
import { describeCaptured, type MessageRecord } from '../src/inspector/capture-record.js';
import { CaptureStore } from '../src/inspector/capture-store.js';
import { callState, groupCalls, retransmissions, stateText, transactionKey } from '../src/inspector/calls.js';
import { matchesFilter } from '../src/inspector/filter.js';
import { formatTime } from '../src/inspector/inspect.js';
import { LADDER, layoutLadder } from '../src/inspector/ladder.js';
import { enc, ipv4, pcap, sipRequest, sipResponse, udp } from './pcap/builder.js';

const T0 = Date.UTC(2026, 11, 5, 12);
const A = '127.0.0.1:5061';
const B = '127.0.0.2:5060';

/** A record made the way the page makes it: the message parsed by @sipts/message. */
function rec(text: string, index: number, o: { src?: string; dst?: string; time?: number } = {}): MessageRecord {
  return describeCaptured({ frame: index + 1, time: o.time ?? T0 + index, src: o.src ?? A, dst: o.dst ?? B, transport: 'UDP', bytes: enc(text) }, index);
}

function call(texts: [string, boolean][], callId = 'c1'): MessageRecord[] {
  return texts.map(([t, back], i) => rec(t.replaceAll('call-1@127.0.0.1', callId), i, back ? { src: B, dst: A } : {}));
}

const invite = sipRequest('INVITE');
const r = (status: number, reason: string, method = 'INVITE', toTag: string | undefined = 'b'): string => sipResponse(status, reason, method, toTag === undefined ? {} : { toTag });

describe('call state', () => {
  const cases: [string, [string, boolean][], string][] = [
    ['answered', [[invite, false], [r(100, 'Trying', 'INVITE', undefined), true], [r(200, 'OK'), true], [sipRequest('ACK', { branch: 'z9hG4bK-2' }), false]], 'answered'],
    ['busy', [[invite, false], [r(486, 'Busy Here'), true]], 'busy (486)'],
    ['busy everywhere', [[invite, false], [r(600, 'Busy Everywhere'), true]], 'busy (600)'],
    ['cancelled', [[invite, false], [sipRequest('CANCEL'), false], [r(200, 'OK', 'CANCEL'), true], [r(487, 'Request Terminated'), true]], 'cancelled'],
    ['failed, after a challenge', [[invite, false], [r(407, 'Proxy Authentication Required'), true], [sipRequest('INVITE', { cseq: 2, branch: 'z9hG4bK-3' }), false], [sipResponse(503, 'Service Unavailable', 'INVITE', { cseq: 2, branch: 'z9hG4bK-3', toTag: 'c' }), true]], 'failed (503)'],
    ['answered after a challenge', [[invite, false], [r(401, 'Unauthorized'), true], [sipRequest('INVITE', { cseq: 2, branch: 'z9hG4bK-3' }), false], [sipResponse(200, 'OK', 'INVITE', { cseq: 2, branch: 'z9hG4bK-3', toTag: 'c' }), true]], 'answered'],
    ['ringing only', [[invite, false], [r(180, 'Ringing'), true]], 'no final response'],
    ['a REGISTER', [[sipRequest('REGISTER'), false], [r(401, 'Unauthorized', 'REGISTER'), true], [sipRequest('REGISTER', { cseq: 2, branch: 'z9hG4bK-9' }), false], [sipResponse(200, 'OK', 'REGISTER', { cseq: 2, branch: 'z9hG4bK-9' }), true]], 'completed (200)'],
    ['a MESSAGE refused', [[sipRequest('MESSAGE'), false], [r(404, 'Not Found', 'MESSAGE'), true]], 'failed (404)'],
  ];
  it.each(cases)('%s', (_name, texts, want) => {
    expect(stateText(callState(call(texts)))).toBe(want);
  });

  it('says so when a call holds only messages that failed to parse', () => {
    expect(callState([rec('garbage\r\n\r\n', 0)]).state).toBe('invalid');
  });
});

describe('groupCalls', () => {
  it('groups by Call-ID in order of first message, with From, To, times and transactions', () => {
    const records = [
      rec(invite, 0),
      rec(sipRequest('OPTIONS', { callId: 'other' }), 1, { time: T0 + 5 }),
      rec(r(200, 'OK'), 2, { src: B, dst: A, time: T0 + 1500 }),
      rec(sipRequest('ACK', { branch: 'z9hG4bK-ack' }), 3, { time: T0 + 1600 }),
      rec('not sip at all\r\n\r\n', 4),
    ];
    const calls = groupCalls(records);
    expect(calls.map((c) => [c.callId, c.method, c.messages, c.state])).toEqual([
      ['call-1@127.0.0.1', 'INVITE', [0, 2, 3], 'answered'],
      ['other', 'OPTIONS', [1], 'no-final-response'],
      ['(invalid message 5)', '?', [4], 'invalid'],
    ]);
    const first = calls[0]!;
    // The display name without its quotes; a To without one is just its URI.
    expect([first.from, first.to, first.end - first.start]).toEqual(['Alice <sip:alice@127.0.0.1>', 'sip:bob@127.0.0.1', 1600]);
    // The non-2xx ACK belongs to its INVITE's transaction; the 2xx ACK (new branch) has its own.
    expect(first.transactions).toEqual(['z9hG4bK-1 INVITE', 'z9hG4bK-ack INVITE']);
    expect(transactionKey(records[3]!)).toBe('z9hG4bK-ack INVITE');
  });
});

describe('retransmissions', () => {
  it('marks repeats on the same path, not the same text going the other way or in another call', () => {
    const records = [rec(invite, 0), rec(invite, 1), rec(r(486, 'Busy Here'), 2, { src: B, dst: A }), rec(r(486, 'Busy Here'), 3, { src: B, dst: A }), rec(invite, 4, { src: B, dst: A }), rec(invite.replace('call-1@', 'call-2@'), 5)];
    expect(retransmissions(records)).toEqual([false, true, false, true, false, false]);
  });
});

describe('filters', () => {
  const records = [rec(invite, 0), rec(r(486, 'Busy Here'), 1, { src: B, dst: A }), rec(sipRequest('BYE', { callId: 'x-9' }), 2, { dst: '[::1]:5070' })];
  const text = (x: MessageRecord): string => ['invite …', 'sip/2.0 486 busy here …', 'bye …'][x.index] ?? '';
  const pick = (f: Parameters<typeof matchesFilter>[1]): number[] => records.filter((x) => matchesFilter(x, f, text)).map((x) => x.index);
  it('by method (requests and their responses), status class, Call-ID, address and text', () => {
    expect(pick({ method: 'INVITE' })).toEqual([0, 1]);
    expect(pick({ statusClass: 4 })).toEqual([1]);
    expect(pick({ statusClass: 2 })).toEqual([]);
    expect(pick({ callId: 'x-' })).toEqual([2]);
    expect(pick({ address: '[::1]' })).toEqual([2]);
    expect(pick({ address: '127.0.0.2' })).toEqual([0, 1]);
    expect(pick({ text: 'BUSY' })).toEqual([1]);
    expect(pick({ method: 'INVITE', statusClass: 4, address: '5061' })).toEqual([1]);
    expect(pick({})).toEqual([0, 1, 2]);
  });
});

describe('layoutLadder', () => {
  it('gives a column per host:port in order of appearance and an arrow per message in time order', () => {
    const C = '[::1]:5080';
    const records = [rec(invite, 0, { time: T0 }), rec(r(200, 'OK'), 1, { src: B, dst: A, time: T0 + 250 }), rec(invite, 2, { src: B, dst: C, time: T0 + 100 }), rec(invite, 3, { time: T0 + 600 })];
    const l = layoutLadder(records, (x) => x.index === 3);
    expect(l.columns.map((c) => c.label)).toEqual([A, B, C]);
    expect(l.columns[1]!.x - l.columns[0]!.x).toBe(LADDER.columnGap);
    expect(l.arrows.map((a) => [a.index, a.label, a.time, a.kind, a.retransmission])).toEqual([
      [0, 'INVITE', '+0.000 s', 'request', false],
      [2, 'INVITE', '+0.100 s', 'request', false],
      [1, '200 OK', '+0.250 s', 'response', false],
      [3, 'INVITE', '+0.600 s', 'request', true],
    ]);
    const [a0, a1, a2] = l.arrows;
    expect([a0!.x1, a0!.x2]).toEqual([l.columns[0]!.x, l.columns[1]!.x]);
    expect([a1!.x1, a1!.x2]).toEqual([l.columns[1]!.x, l.columns[2]!.x]);
    expect([a2!.x1, a2!.x2]).toEqual([l.columns[1]!.x, l.columns[0]!.x]);
    expect(a2!.description).toBe(`200 OK from ${B} to ${A} at +0.250 s`);
    expect(l.arrows.map((a) => a.y)).toEqual([...l.arrows.map((a) => a.y)].sort((x, y) => x - y));
    expect(l.width).toBeGreaterThan(l.columns[2]!.x);
  });
});

describe('loading in batches', () => {
  const messages = Array.from({ length: 25 }, (_, i) => sipRequest('OPTIONS', { callId: `b-${i}`, cseq: i + 1 }));
  const file = pcap(101, messages.map((m, i) => ({ time: T0 + i, data: ipv4({ src: '127.0.0.1', dst: '127.0.0.2', protocol: 17, payload: udp(5061, 5060, enc(m)) }) })));

  it('hands on a small first batch, then the rest, each message in one shared buffer', () => {
    const batches: LoadBatch[] = [];
    const summary = loadCapture(file, { onBatch: (b) => batches.push(b), firstBatch: 3, batchSize: 10 });
    expect(batches.map((b) => b.records.length)).toEqual([3, 10, 10, 2]);
    expect(summary).toMatchObject({ format: 'pcap', truncated: false, stats: { packets: 25, messages: 25, notSip: 0 } });
    const store = new CaptureStore();
    for (const b of batches) store.add(b);
    store.update();
    expect(store.records.map((x) => x.index)).toEqual([...Array(25).keys()]);
    expect(store.records.map((_, i) => new TextDecoder().decode(store.bytesOf(i)))).toEqual(messages);
    expect(store.calls).toHaveLength(25);
    expect(store.methods()).toEqual(['OPTIONS']);
    expect(store.view({ text: 'cseq: 7 options' }, 'all').messages).toEqual([6]);
    expect(store.view({ callId: 'b-2' }, 0).calls.map((c) => c.callId)).toEqual(['b-2', 'b-20', 'b-21', 'b-22', 'b-23', 'b-24']);
    expect(store.view({ callId: 'b-13' }, 0)).toEqual({ calls: [store.calls[13]], messages: [13] });
  });

  it('reports a damaged file as plain data', () => {
    const summary = loadCapture(file.subarray(0, file.length - 3), { onBatch: () => undefined });
    expect(summary.error).toEqual({ code: 'truncated', message: 'a packet is cut short', offset: expect.any(Number) as number });
    expect(summary.stats.messages).toBe(24);
  });
});

describe('formatTime', () => {
  it('shows UTC with microseconds', () => {
    expect(formatTime(Date.UTC(2026, 11, 5, 12, 0, 1, 234) + 0.567)).toBe('2026-12-05 12:00:01.234567 UTC');
    expect(formatTime(Date.UTC(2026, 0, 1))).toBe('2026-01-01 00:00:00.000000 UTC');
  });
});
