/**
 * The capture reader (src/inspector/pcap/): every container, block and link type, IPv4/IPv6 with
 * fragments, SIP over UDP on any port, over TCP with stream reassembly, and over WebSocket, on
 * hand-built files (test/pcap/builder.ts). Real tcpdump/tshark captures: capture-fixtures.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { captureFormat, readCaptureFile } from '../../src/inspector/pcap/capture-file.js';
import { extractSip } from '../../src/inspector/pcap/extract.js';
import { ipv6Text } from '../../src/inspector/pcap/address.js';
import { ACK, FIN, PSH, SYN, concat, enc, ipv4, ipv6, link, pcap, pcapng, sipRequest, sipResponse, tcp, udp, type Packet } from './builder.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const INVITE = sipRequest('INVITE');
const TRYING = sipResponse(100, 'Trying', 'INVITE');

function udp4(payload: string, o: { src?: string; dst?: string; sport?: number; dport?: number } = {}): Uint8Array {
  return ipv4({ src: o.src ?? '127.0.0.1', dst: o.dst ?? '127.0.0.2', protocol: 17, payload: udp(o.sport ?? 5061, o.dport ?? 5060, enc(payload)) });
}

function udp6(payload: string): Uint8Array {
  return ipv6({ src: '::1', dst: 'fe80::1:2', protocol: 17, payload: udp(5061, 5062, enc(payload)) });
}

describe('pcap containers', () => {
  it.each([
    ['microseconds, little-endian', { nanos: false, littleEndian: true }],
    ['microseconds, big-endian', { nanos: false, littleEndian: false }],
    ['nanoseconds, little-endian', { nanos: true, littleEndian: true }],
    ['nanoseconds, big-endian', { nanos: true, littleEndian: false }],
  ])('reads pcap in %s', (_name, o) => {
    const time = T0 + 123.456789;
    const file = pcap(1, [{ time, data: link.ethernet(udp4(INVITE)) }], o);
    expect(captureFormat(file)).toBe('pcap');
    const x = extractSip(file);
    expect(x.error).toBeUndefined();
    expect(x.messages).toHaveLength(1);
    const m = x.messages[0]!;
    expect(dec(m.bytes)).toBe(INVITE);
    expect({ src: m.src, dst: m.dst, transport: m.transport, frame: m.frame }).toEqual({ src: '127.0.0.1:5061', dst: '127.0.0.2:5060', transport: 'UDP', frame: 1 });
    // µs files keep 123.456 ms (+ 0.789 µs lost); ns files keep the nanoseconds (to a double's precision).
    expect(m.time - T0).toBeCloseTo(o.nanos ? 123.456789 : 123.457, o.nanos ? 5 : 3);
  });

  it('tells other files apart', () => {
    expect(captureFormat(enc('INVITE sip:a SIP/2.0'))).toBeUndefined();
    const x = extractSip(enc('INVITE sip:a SIP/2.0\r\n'));
    expect(x.error?.code).toBe('not-a-capture');
  });
});

describe('pcapng blocks', () => {
  it('reads sections, several interfaces with their own link types and resolutions, and skips other blocks', () => {
    const packets: Packet[] = [
      { time: T0 + 1.5, data: link.ethernet(udp4(INVITE)), iface: 0 },
      { time: T0 + 2.25, data: link.sll(udp4(TRYING, { src: '127.0.0.2', dst: '127.0.0.1', sport: 5060, dport: 5061 })), iface: 1 },
    ];
    const file = pcapng([{ linkType: 1 }, { linkType: 113, tsresol: 9 }], packets);
    expect(captureFormat(file)).toBe('pcapng');
    const x = extractSip(file);
    expect(x.error).toBeUndefined();
    expect(x.format).toBe('pcapng');
    expect(x.messages.map((m) => [m.frame, m.src, dec(m.bytes).split('\r\n')[0]])).toEqual([
      [1, '127.0.0.1:5061', 'INVITE sip:bob@127.0.0.1:5060 SIP/2.0'],
      [2, '127.0.0.2:5060', 'SIP/2.0 100 Trying'],
    ]);
    expect(x.messages[0]!.time - T0).toBeCloseTo(1.5, 6);
    expect(x.messages[1]!.time - T0).toBeCloseTo(2.25, 6);
  });

  it('reads a big-endian section followed by a little-endian one (interfaces reset per section)', () => {
    const a = pcapng([{ linkType: 101 }], [{ time: T0, data: udp4(INVITE) }], { littleEndian: false });
    const b = pcapng([{ linkType: 1 }], [{ time: T0 + 1, data: link.ethernet(udp4(TRYING)) }], { littleEndian: true });
    const x = extractSip(concat(a, b));
    expect(x.error).toBeUndefined();
    expect(x.messages.map((m) => m.frame)).toEqual([1, 2]);
  });

  it('reads simple packet blocks (no time)', () => {
    const x = extractSip(pcapng([{ linkType: 1 }], [{ time: 0, data: link.ethernet(udp4(INVITE)) }], { simple: true }));
    expect(x.messages).toHaveLength(1);
    expect(x.messages[0]!.time).toBe(0);
  });

  it('reports a packet naming an interface that was never described', () => {
    const file = pcapng([{ linkType: 1 }], [{ time: T0, data: link.ethernet(udp4(INVITE)) }, { time: T0, data: link.ethernet(udp4(TRYING)), iface: 3 }]);
    const x = extractSip(file);
    expect(x.messages).toHaveLength(1);
    expect(x.error?.code).toBe('malformed');
    expect(x.error?.message).toMatch(/interface 3/);
  });
});

describe('link types', () => {
  const cases: [string, number, (ip: Uint8Array) => Uint8Array][] = [
    ['Ethernet', 1, (ip) => link.ethernet(ip)],
    ['Ethernet with an 802.1Q tag', 1, (ip) => link.ethernet(ip, [42])],
    ['Ethernet with QinQ tags', 1, (ip) => link.ethernet(ip, [10, 20])],
    ['Linux cooked v1', 113, link.sll],
    ['Linux cooked v2', 276, link.sll2],
    ['BSD null, little-endian family', 0, (ip) => link.null(ip, true)],
    ['BSD null, big-endian family', 0, (ip) => link.null(ip, false)],
    ['BSD null, Linux AF_INET6 (10)', 0, (ip) => link.null(ip, true, 10)],
    ['OpenBSD loop', 108, (ip) => link.null(ip, false, 24)],
    ['raw IP (101)', 101, link.raw],
    ['raw IP (12)', 12, link.raw],
    ['IPv4 (228) / IPv6 (229)', 228, link.raw],
  ];
  it.each(cases)('reads UDP SIP over IPv4 and IPv6 on %s', (_name, linkType, frame) => {
    const x = extractSip(pcap(linkType, [{ time: T0, data: frame(udp4(INVITE)) }, { time: T0 + 1, data: frame(udp6(TRYING)) }]));
    expect(x.error).toBeUndefined();
    expect(x.messages.map((m) => `${m.src} > ${m.dst}`)).toEqual(['127.0.0.1:5061 > 127.0.0.2:5060', '[::1]:5061 > [fe80::1:2]:5062']);
  });

  it('counts frames of an unknown link type and non-IP frames as not SIP', () => {
    const arp = concat(new Uint8Array(12), new Uint8Array([0x08, 0x06]), new Uint8Array(28));
    const x = extractSip(pcap(1, [{ time: T0, data: arp }, { time: T0, data: link.ethernet(udp4(INVITE)) }]));
    expect(x.messages).toHaveLength(1);
    expect(x.stats.notSip).toBe(1);
    const y = extractSip(pcap(147, [{ time: T0, data: udp4(INVITE) }]));
    expect(y.messages).toHaveLength(0);
    expect(y.stats.unknownLinkTypes).toEqual([147]);
  });
});

describe('IP', () => {
  it('writes IPv6 addresses as RFC 5952 (and tshark) do', () => {
    const b = (s: string): Uint8Array => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
    expect(ipv6Text(b('00000000000000000000000000000001'))).toBe('::1');
    expect(ipv6Text(b('20010db8000000000001000000000001'))).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(b('20010db8000100010001000100010001'))).toBe('2001:db8:1:1:1:1:1:1');
    expect(ipv6Text(b('20010db8000000010000000000000000'))).toBe('2001:db8:0:1::');
  });

  it('reassembles IPv4 fragments that arrive out of order', () => {
    const body = 'v=0\r\n' + 'a=x-padding:' + 'x'.repeat(3000) + '\r\n';
    const whole = udp(5061, 5080, enc(sipRequest('INVITE', { body })));
    const cut = [0, 1480, 2960].map((o, i, all) => ({ offset: o, data: whole.subarray(o, all[i + 1] ?? whole.length), more: i < all.length - 1 }));
    const frags = cut.map((c) => link.ethernet(ipv4({ src: '127.0.0.1', dst: '127.0.0.1', protocol: 17, payload: c.data, id: 7, offset: c.offset, more: c.more })));
    const x = extractSip(pcap(1, [frags[2]!, frags[0]!, frags[1]!].map((data, i) => ({ time: T0 + i, data }))));
    expect(x.messages).toHaveLength(1);
    expect(x.messages[0]!.frame).toBe(3);
    expect(dec(x.messages[0]!.bytes)).toBe(sipRequest('INVITE', { body }));
  });

  it('reassembles IPv6 fragments (after a hop-by-hop header)', () => {
    const whole = udp(5061, 5062, enc(sipRequest('MESSAGE', { body: 'y'.repeat(2000) })));
    const a = ipv6({ src: '::1', dst: '::1', protocol: 17, payload: whole.subarray(0, 1232), fragment: { id: 99, offset: 0, more: true }, hopByHop: true });
    const b = ipv6({ src: '::1', dst: '::1', protocol: 17, payload: whole.subarray(1232), fragment: { id: 99, offset: 1232, more: false } });
    const x = extractSip(pcap(101, [{ time: T0, data: b }, { time: T0 + 1, data: a }]));
    expect(x.messages.map((m) => [m.src, m.dst, dec(m.bytes).length])).toEqual([['[::1]:5061', '[::1]:5062', whole.length - 8]]);
  });

  it('drops inconsistent fragments and bounds the table', () => {
    const frag = (id: number): Uint8Array => ipv4({ src: '127.0.0.1', dst: '127.0.0.1', protocol: 17, payload: new Uint8Array(8), id, offset: 0, more: true });
    const x = extractSip(pcap(101, Array.from({ length: 300 }, (_, i) => ({ time: T0, data: frag(i) }))));
    expect(x.messages).toHaveLength(0);
    expect(x.stats.dropped).toBe(300 - 256);
  });
});

describe('SIP over UDP', () => {
  it('recognises SIP by content on any port, and counts what is not SIP', () => {
    const packets = [udp4(INVITE, { dport: 40000 }), udp4('\r\n\r\n'), udp4('hello world\r\n'), udp4(TRYING, { sport: 9, dport: 53 })];
    const x = extractSip(pcap(101, packets.map((data, i) => ({ time: T0 + i, data }))));
    expect(x.messages.map((m) => m.dst)).toEqual(['127.0.0.2:40000', '127.0.0.2:53']);
    expect(x.stats).toMatchObject({ packets: 4, messages: 2, notSip: 2 });
  });
});

describe('SIP over TCP', () => {
  const A = { src: '127.0.0.1', dst: '127.0.0.2' };
  const seg = (seq: number, payload: string, flags = ACK | PSH, back = false): Uint8Array =>
    link.ethernet(ipv4({ ...(back ? { src: A.dst, dst: A.src } : A), protocol: 6, payload: tcp({ src: back ? 5060 : 40001, dst: back ? 40001 : 5060, seq, flags, payload: enc(payload), options: true }) }));
  const file = (segs: Uint8Array[]): Uint8Array => pcap(1, segs.map((data, i) => ({ time: T0 + i, data })));

  it('frames several messages in one segment and one message across segments', () => {
    const two = INVITE + sipRequest('OPTIONS', { cseq: 2 });
    const x = extractSip(file([seg(1000, '', SYN), seg(1001, two), seg(1001 + enc(two).length, TRYING.slice(0, 30)), seg(1001 + enc(two).length + 30, TRYING.slice(30))]));
    expect(x.messages.map((m) => [m.frame, m.transport, dec(m.bytes).split(' ')[0]])).toEqual([
      [2, 'TCP', 'INVITE'],
      [2, 'TCP', 'OPTIONS'],
      [4, 'TCP', 'SIP/2.0'],
    ]);
    expect(dec(x.messages[2]!.bytes)).toBe(TRYING);
  });

  it('puts out-of-order segments in order and ignores retransmitted ones', () => {
    const a = INVITE.slice(0, 100);
    const b = INVITE.slice(100, 250);
    const c = INVITE.slice(250);
    const x = extractSip(file([seg(1, a), seg(1 + 250, c), seg(1, a), seg(1 + 100, b), seg(1 + 100, b)]));
    expect(x.messages).toHaveLength(1);
    expect(dec(x.messages[0]!.bytes)).toBe(INVITE);
    expect(x.messages[0]!.frame).toBe(4);
    expect(x.stats.retransmittedSegments).toBe(2);
  });

  it('trims a segment that overlaps what was already delivered', () => {
    const x = extractSip(file([seg(1, INVITE.slice(0, 120)), seg(1 + 60, INVITE.slice(60))]));
    expect(x.messages.map((m) => dec(m.bytes))).toEqual([INVITE]);
  });

  it('follows sequence numbers across the 2^32 wrap', () => {
    const start = 2 ** 32 - 50;
    const x = extractSip(file([seg(start, INVITE.slice(0, 80)), seg((start + 80) % 2 ** 32, INVITE.slice(80))]));
    expect(x.messages.map((m) => dec(m.bytes))).toEqual([INVITE]);
  });

  it('skips CRLF keep-alives and keeps both directions apart', () => {
    const x = extractSip(file([seg(1, '\r\n\r\n'), seg(5, INVITE), seg(700, TRYING, ACK | PSH, true), seg(5 + enc(INVITE).length, '', FIN | ACK)]));
    expect(x.messages.map((m) => `${m.src} > ${m.dst}`)).toEqual(['127.0.0.1:40001 > 127.0.0.2:5060', '127.0.0.2:5060 > 127.0.0.1:40001']);
  });

  it('counts a stream that is not SIP, and a SIP stream that breaks framing', () => {
    const x = extractSip(file([seg(1, 'SSH-2.0-OpenSSH_9.2\r\n'), seg(1, INVITE.replace(/Content-Length: 0\r\n/, ''), ACK | PSH, true)]));
    expect(x.messages).toHaveLength(0);
    // Both packets gave nothing SIP; the broken framing is also counted as a dropped stream.
    expect(x.stats.notSip).toBe(2);
    expect(x.stats.dropped).toBe(1);
  });
});

describe('SIP over WebSocket', () => {
  const up = 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const ok = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n';
  const C = { src: '127.0.0.1', dst: '127.0.0.1' };
  const seg = (seq: number, payload: Uint8Array, back = false): Uint8Array =>
    ipv4({ ...C, protocol: 6, payload: tcp({ src: back ? 8080 : 50000, dst: back ? 50000 : 8080, seq, payload }) });

  it('reads masked client frames and unmasked server frames after the upgrade', async () => {
    const { wsFrame } = await import('./builder.js');
    const invite = enc(INVITE);
    const clientBytes = concat(enc(up), wsFrame(invite.subarray(0, 200), { mask: [1, 2, 3, 4], fin: false }), wsFrame(new Uint8Array(0), { opcode: 9, mask: [9, 9, 9, 9] }), wsFrame(invite.subarray(200), { opcode: 0, mask: [5, 6, 7, 8] }));
    const serverBytes = concat(enc(ok), wsFrame(enc(TRYING)), wsFrame(enc(sipResponse(180, 'Ringing', 'INVITE', { toTag: 'b' }))));
    // Split the client's bytes inside the second frame header, to cross segments.
    const cut = enc(up).length + 100;
    const x = extractSip(
      pcap(101, [
        { time: T0, data: seg(1, clientBytes.subarray(0, cut)) },
        { time: T0 + 1, data: seg(1 + cut, clientBytes.subarray(cut)) },
        { time: T0 + 2, data: seg(1, serverBytes, true) },
      ]),
    );
    expect(x.messages.map((m) => [m.frame, m.transport, m.src, dec(m.bytes).split('\r\n')[0]])).toEqual([
      [2, 'WS', '127.0.0.1:50000', 'INVITE sip:bob@127.0.0.1:5060 SIP/2.0'],
      [3, 'WS', '127.0.0.1:8080', 'SIP/2.0 100 Trying'],
      [3, 'WS', '127.0.0.1:8080', 'SIP/2.0 180 Ringing'],
    ]);
    expect(dec(x.messages[0]!.bytes)).toBe(INVITE);
  });

  it('counts a compressed (permessage-deflate) message as dropped instead of showing it', async () => {
    const { wsFrame } = await import('./builder.js');
    const compressed = wsFrame(enc('not really deflate'), { mask: [1, 2, 3, 4] });
    compressed[0] = (compressed[0] ?? 0) | 0x40; // RSV1: this message is compressed (RFC 7692 §6)
    const bytes = concat(enc(up), compressed, wsFrame(enc(INVITE), { mask: [4, 3, 2, 1] }));
    const x = extractSip(pcap(101, [{ time: T0, data: seg(1, bytes) }]));
    expect(x.messages.map((m) => m.transport)).toEqual(['WS']);
    expect(x.stats.dropped).toBe(1);
  });

  it('does not take a plain HTTP exchange for WebSocket', () => {
    const x = extractSip(pcap(101, [{ time: T0, data: seg(1, enc('GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n')) }]));
    expect(x.messages).toHaveLength(0);
    expect(x.stats.notSip).toBe(1);
  });
});

describe('damaged captures', () => {
  const good = pcap(1, [0, 1, 2].map((i) => ({ time: T0 + i, data: link.ethernet(udp4(sipRequest('OPTIONS', { cseq: i + 1 }))) })));
  const recordAt = (n: number): number => {
    let off = 24;
    for (let i = 0; i < n; i++) off += 16 + new DataView(good.buffer).getUint32(off + 8, true);
    return off;
  };

  it('keeps the messages before a truncation and says where it is', () => {
    const cut = good.subarray(0, recordAt(2) + 40);
    const x = extractSip(cut);
    expect(x.messages).toHaveLength(2);
    expect(x.error).toMatchObject({ code: 'truncated', offset: recordAt(2) });
  });

  it('stops at an impossible record length', () => {
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(recordAt(1) + 8, 0x7fffffff, true);
    const x = extractSip(bad);
    expect(x.messages).toHaveLength(1);
    expect(x.error).toMatchObject({ code: 'malformed', offset: recordAt(1) });
  });

  it('stops at a pcapng block whose trailing length disagrees', () => {
    const file = pcapng([{ linkType: 1 }], [{ time: T0, data: link.ethernet(udp4(INVITE)) }, { time: T0, data: link.ethernet(udp4(TRYING)) }]);
    const bad = file.slice();
    const packets: number[] = [];
    readCaptureFile(file, (p) => packets.push(p.offset));
    const second = packets[1]!;
    const len = new DataView(bad.buffer).getUint32(second + 4, true);
    new DataView(bad.buffer).setUint32(second + len - 4, len + 4, true);
    const x = extractSip(bad);
    expect(x.messages).toHaveLength(1);
    expect(x.error).toMatchObject({ code: 'malformed', offset: second + len - 4 });
  });
});
