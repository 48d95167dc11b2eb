/**
 * Damaged captures never crash the reader: truncated and mutated pcap/pcapng files (fast-check)
 * only ever give messages and, at most, a CaptureError with an offset inside the file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/inspector/pcap/capture-error.js';
import { extractSip } from '../../src/inspector/pcap/extract.js';
import { ACK, PSH, concat, enc, ipv4, ipv6, link, pcap, pcapng, sipRequest, sipResponse, tcp, udp, wsFrame } from './builder.js';

const T0 = Date.UTC(2026, 11, 5);
const invite = enc(sipRequest('INVITE', { body: 'v=0\r\n' }));
const ok = enc(sipResponse(200, 'OK', 'INVITE', { toTag: 'x' }));
const packets = [
  link.ethernet(ipv4({ src: '127.0.0.1', dst: '127.0.0.2', protocol: 17, payload: udp(5060, 5062, invite) }), [5]),
  link.ethernet(ipv6({ src: '::1', dst: '::1', protocol: 17, payload: udp(5062, 5060, ok), fragment: { id: 1, offset: 0, more: false } })),
  link.ethernet(ipv4({ src: '127.0.0.1', dst: '127.0.0.2', protocol: 6, payload: tcp({ src: 4000, dst: 5060, seq: 1, flags: ACK | PSH, payload: concat(invite, ok) }) })),
  link.ethernet(
    ipv4({ src: '127.0.0.1', dst: '127.0.0.2', protocol: 6, payload: tcp({ src: 4001, dst: 80, seq: 1, payload: concat(enc('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n'), wsFrame(invite, { mask: [1, 2, 3, 4] })) }) }),
  ),
].map((data, i) => ({ time: T0 + i, data }));
const files: Record<string, Uint8Array> = {
  pcap: pcap(1, packets),
  pcapNsBigEndian: pcap(1, packets, { nanos: true, littleEndian: false }),
  pcapng: pcapng([{ linkType: 1, tsresol: 9 }], packets),
};

function check(bytes: Uint8Array): void {
  const x = extractSip(bytes);
  expect(Array.isArray(x.messages)).toBe(true);
  for (const m of x.messages) expect(m.bytes).toBeInstanceOf(Uint8Array);
  if (x.error !== undefined) {
    expect(x.error).toBeInstanceOf(CaptureError);
    expect(x.error.offset).toBeGreaterThanOrEqual(0);
    expect(x.error.offset).toBeLessThanOrEqual(bytes.length);
  }
}

/**
 * The offsets where a cut leaves a whole, shorter capture: right after the pcap file header or a
 * record, or after a pcapng block. A reader owes no error there (fast-check found one: a pcapng
 * cut at 744, the end of a block).
 */
function wholeCuts(file: Uint8Array, format: 'pcap' | 'pcapng'): Set<number> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const cuts = new Set<number>();
  if (format === 'pcapng') {
    const little = view.getUint32(8, true) === 0x1a2b3c4d;
    for (let at = 0; at + 8 <= file.length; ) {
      at += view.getUint32(at + 4, little);
      cuts.add(at);
    }
    return cuts;
  }
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  for (let at = 24; at <= file.length; at += 16 + view.getUint32(at + 8, little)) {
    cuts.add(at);
    if (at + 16 > file.length) break;
  }
  return cuts;
}

describe.each(Object.entries(files))('a damaged %s capture', (name, file) => {
  const whole = wholeCuts(file, name === 'pcapng' ? 'pcapng' : 'pcap');
  it('reads all of the undamaged file', () => {
    const x = extractSip(file);
    expect(x.error).toBeUndefined();
    expect(x.messages).toHaveLength(5);
  });

  it('a cut at a record or block end is a whole, shorter capture; one byte more is damaged', () => {
    const inside = [...whole].filter((n) => n < file.length);
    expect(inside.length).toBeGreaterThan(2);
    for (const n of inside) {
      expect(extractSip(file.subarray(0, n)).error, `cut at ${String(n)}`).toBeUndefined();
      expect(extractSip(file.subarray(0, n + 1)).error, `cut at ${String(n + 1)}`).toBeDefined();
    }
  });

  it('cut anywhere: messages before the cut, and a typed error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: file.length - 1 }), (n) => {
        const cut = file.subarray(0, n);
        check(cut);
        const x = extractSip(cut);
        if (n >= 4 && !whole.has(n)) expect(x.error).toBeDefined();
        if (whole.has(n)) expect(x.error).toBeUndefined();
        expect(x.messages.length).toBeLessThanOrEqual(5);
      }),
      { numRuns: 300 },
    );
  });

  it('with bytes changed anywhere: never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: file.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), (edits) => {
        const bad = file.slice();
        for (const [at, b] of edits) bad[at] = b;
        check(bad);
      }),
      { numRuns: 500 },
    );
  });
});
