/**
 * The STUN codec against the RFC 5769 test vectors (§2.1 request, §2.2 IPv4 response, §2.3 IPv6
 * response, §2.4 long-term credentials), plus the keep-alive messages built from it.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeStun,
  encodeStun,
  isStunMessage,
  STUN_ATTR,
  STUN_BINDING_REQUEST,
  STUN_BINDING_SUCCESS,
  stunAttribute,
  stunBindingRequest,
  stunBindingSuccess,
  stunMappedAddress,
} from '../src/stun.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);
const SHORT_TERM_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';

// RFC 5769 §2.1: sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT).
const REQUEST = hex(`
  000100582112a442b7e7a701bc34d686fa87dfae
  80220010 5354554e207465737420636c69656e74
  00240004 6e0001ff
  80290008 932ff9b151263b36
  00060009 6576746a3a68367659202020
  00080014 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
  80280004 e57a3bcf`);
// RFC 5769 §2.2: sample IPv4 response (SOFTWARE, XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT).
const RESPONSE_V4 = hex(`
  0101003c2112a442b7e7a701bc34d686fa87dfae
  8022000b 7465737420766563746f7220
  00200008 0001a147e112a643
  00080014 2b91f599fd9e90c38c7489f92af9ba53f06be7d7
  80280004 c07d4c96`);
// RFC 5769 §2.3: sample IPv6 response.
const RESPONSE_V6 = hex(`
  010100482112a442b7e7a701bc34d686fa87dfae
  8022000b 7465737420766563746f7220
  00200014 0002a1470113a9faa5d3f179bc25f4b5bed2b9d9
  00080014 a382954e4be67bf11784c97c8292c275bfe3ed41
  80280004 c8fb0b4c`);
// RFC 5769 §2.4: sample request with long-term authentication (no FINGERPRINT).
const LONG_TERM = hex(`
  000100602112a44278ad3433c6ad72c029da412e
  00060012 e3839ee38388e383aae38383e382afe382b90000
  0015001c 662f2f3439396b39353464364f4c33346f4c394653547679363473 41
  0014000b 6578616d706c652e6f726700
  00080014 f67024656dd64a3e02b8e0712e85c9a28ca89666`);

const hmac = (key: string | Uint8Array) => (covered: Uint8Array): Uint8Array => Uint8Array.from(createHmac('sha1', key).update(covered).digest());

describe('RFC 5769 test vectors', () => {
  it('decodes the sample request (§2.1) and its FINGERPRINT matches', () => {
    expect(isStunMessage(REQUEST)).toBe(true);
    const m = decodeStun(REQUEST);
    expect(m.type).toBe(STUN_BINDING_REQUEST);
    expect(m.fingerprintOk).toBe(true);
    expect(text(stunAttribute(m, STUN_ATTR.SOFTWARE))).toBe('STUN test client');
    expect(text(stunAttribute(m, 0x0006))).toBe('evtj:h6vY'); // USERNAME, padding not included
    expect(m.attributes.map((a) => a.type)).toEqual([0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028]);
  });

  it('re-encodes the sample request byte for byte (MESSAGE-INTEGRITY with the short-term password, space padding)', () => {
    const m = decodeStun(REQUEST);
    const attributes = m.attributes.filter((a) => a.type !== STUN_ATTR.MESSAGE_INTEGRITY && a.type !== STUN_ATTR.FINGERPRINT);
    const out = encodeStun({ type: m.type, transactionId: m.transactionId, attributes }, { integrity: hmac(SHORT_TERM_PASSWORD), padding: 0x20 });
    expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(REQUEST).toString('hex'));
  });

  it('decodes the IPv4 response (§2.2): 192.0.2.1 port 32853', () => {
    const m = decodeStun(RESPONSE_V4);
    expect(m.type).toBe(STUN_BINDING_SUCCESS);
    expect(m.fingerprintOk).toBe(true);
    expect(text(stunAttribute(m, STUN_ATTR.SOFTWARE))).toBe('test vector');
    expect(stunMappedAddress(m)).toEqual({ address: '192.0.2.1', port: 32853 });
  });

  it('decodes the IPv6 response (§2.3): 2001:db8:1234:5678:11:2233:4455:6677 port 32853', () => {
    const m = decodeStun(RESPONSE_V6);
    expect(m.fingerprintOk).toBe(true);
    expect(stunMappedAddress(m)).toEqual({ address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
  });

  it('re-encodes both responses byte for byte from their mapped address', () => {
    for (const vector of [RESPONSE_V4, RESPONSE_V6]) {
      const m = decodeStun(vector);
      const mapped = stunMappedAddress(m);
      if (mapped === undefined) throw new Error('no mapped address');
      // Rebuild XOR-MAPPED-ADDRESS from the decoded address, not from the vector's bytes.
      const rebuilt = decodeStun(stunBindingSuccess(m, mapped, 'test vector'));
      const attributes = rebuilt.attributes.filter((a) => a.type !== STUN_ATTR.FINGERPRINT);
      const out = encodeStun({ type: m.type, transactionId: m.transactionId, attributes }, { integrity: hmac(SHORT_TERM_PASSWORD), padding: 0x20 });
      expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(vector).toString('hex'));
    }
  });

  it('decodes the long-term request (§2.4) and its MESSAGE-INTEGRITY verifies with MD5(user:realm:password)', () => {
    const m = decodeStun(LONG_TERM);
    expect(m.fingerprintOk).toBe(false);
    expect(text(stunAttribute(m, 0x0006))).toBe('\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9');
    expect(text(stunAttribute(m, 0x0015))).toBe('f//499k954d6OL34oL9FSTvy64sA');
    expect(text(stunAttribute(m, 0x0014))).toBe('example.org');
    const key = createHash('md5').update('\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9:example.org:TheMatrIX').digest();
    const attributes = m.attributes.filter((a) => a.type !== STUN_ATTR.MESSAGE_INTEGRITY);
    const out = encodeStun({ type: m.type, transactionId: m.transactionId, attributes }, { integrity: hmac(key), fingerprint: false });
    expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(LONG_TERM).toString('hex'));
  });
});

describe('STUN recognition and errors', () => {
  it('never takes SIP, CRLF keep-alives or short garbage for STUN', () => {
    for (const s of ['OPTIONS sip:a@b SIP/2.0\r\n\r\n', '\r\n\r\n', 'SIP/2.0 200 OK\r\n\r\n', '']) {
      expect(isStunMessage(new TextEncoder().encode(s))).toBe(false);
    }
    const truncated = RESPONSE_V4.subarray(0, RESPONSE_V4.length - 4);
    expect(isStunMessage(truncated)).toBe(false);
    expect(() => decodeStun(truncated)).toThrow(/not a STUN message/);
  });

  it('rejects a flipped bit with a FINGERPRINT error and an attribute running past the end', () => {
    const flipped = RESPONSE_V4.slice();
    flipped[30] = (flipped[30] ?? 0) ^ 1;
    expect(() => decodeStun(flipped)).toThrow(/FINGERPRINT does not match/);
    const bad = stunBindingRequest().slice(0, 20);
    const longer = new Uint8Array(24);
    longer.set(bad);
    longer[3] = 4; // header length 4: one attribute header…
    longer.set([0x80, 0x22, 0x00, 0x10], 20); // …claiming 16 bytes that are not there
    expect(() => decodeStun(longer)).toThrow(/runs past the message/);
  });

  it('builds a keep-alive Binding request and answers it with the mapped address', () => {
    const rq = decodeStun(stunBindingRequest());
    expect(rq.type).toBe(STUN_BINDING_REQUEST);
    expect(rq.fingerprintOk).toBe(true);
    expect(rq.attributes).toHaveLength(1);
    for (const mapped of [{ address: '127.0.0.1', port: 5060 }, { address: '::1', port: 40000 }]) {
      const rs = decodeStun(stunBindingSuccess(rq, mapped));
      expect(rs.type).toBe(STUN_BINDING_SUCCESS);
      expect([...rs.transactionId]).toEqual([...rq.transactionId]);
      expect(stunMappedAddress(rs)).toEqual(mapped);
    }
  });
});
