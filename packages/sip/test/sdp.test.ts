/**
 * `@sipts/sip/sdp`: the classic object model, LF-only input, non-numeric formats, round trips.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from '../src/sdp.js';

const classicSdp = createRequire(import.meta.url)('sip/sdp') as { parse(s: string): unknown; stringify(s: unknown): string };

const AUDIO = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.1.1\r\ns=-\r\nc=IN IP4 127.0.1.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

describe('@sipts/sip/sdp', () => {
  it('parses to the classic object model (same as the classic parser on a plain offer)', () => {
    const s = parse(AUDIO);
    expect(s).toEqual(classicSdp.parse(AUDIO));
    expect(s.o).toEqual({ username: 'user1', id: '53655765', version: '2353687637', nettype: 'IN', addrtype: 'IP4', address: '127.0.1.1' });
    expect(s.m[0]).toMatchObject({ media: 'audio', port: 6000, portnum: 1, proto: 'RTP/AVP', fmt: [0, 8, 101], a: ['rtpmap:0 PCMU/8000', 'rtpmap:101 telephone-event/8000', 'sendrecv'] });
  });

  it('stringify writes what the classic serializer writes, and round-trips', () => {
    expect(stringify(parse(AUDIO))).toBe(classicSdp.stringify(classicSdp.parse(AUDIO)));
    expect(stringify(parse(AUDIO))).toBe(AUDIO);
  });

  it('keeps non-numeric formats (the classic parser threw a TypeError)', () => {
    const dc = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:5000\r\n';
    expect(() => classicSdp.parse(dc)).toThrow(TypeError);
    const s = parse(dc);
    expect(s.m[0]?.fmt).toEqual(['webrtc-datachannel']);
    expect(stringify(s)).toBe(dc);
  });

  it('accepts LF-only input', () => {
    const lf = AUDIO.replace(/\r\n/g, '\n');
    expect(parse(lf)).toEqual(parse(AUDIO));
  });

  it('keeps repeated fields and the port count', () => {
    const s = parse('v=0\r\nb=CT:128\r\nb=AS:64\r\nt=0 0\r\nm=video 49170/2 RTP/AVP 31\r\n');
    expect(s.b).toEqual(['CT:128', 'AS:64']);
    expect(s.m[0]?.portnum).toBe(2);
    expect(stringify(s)).toContain('m=video 49170/2 RTP/AVP 31\r\n');
    expect(stringify(s)).toContain('b=CT:128\r\nb=AS:64\r\n');
  });

  it('defaults v, s and t, and skips an unreadable m= line without throwing', () => {
    expect(stringify({ m: [] })).toBe('v=0\r\ns=-\r\nt=0 0\r\n');
    expect(parse('v=0\r\nm=garbage\r\na=x\r\n').m).toEqual([]);
  });
});
