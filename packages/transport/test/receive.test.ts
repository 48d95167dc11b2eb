import { parseMessage, type SipMessage, type SipRequest } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { type Remote } from '../src/index.js';
import { canonicalIp, checkMandatoryHeaders, isIpAddress, stampReceived } from '../src/receive.js';

function request(via: string, extra = ''): SipRequest {
  return parseMessage(
    'OPTIONS sip:bob@example.com SIP/2.0\r\n' +
      `Via: ${via}\r\n` +
      'From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n' +
      extra +
      'Content-Length: 0\r\n\r\n',
  ) as SipRequest;
}

function remote(address: string, port: number): Remote {
  return { protocol: 'UDP', address, port, local: { address: '0.0.0.0', port: 5060 } };
}

describe('stampReceived (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  const cases: { name: string; via: string; from: [string, number]; received: unknown; rport: unknown }[] = [
    { name: 'sent-by equals the source: nothing added', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1', from: ['192.0.2.1', 5060], received: undefined, rport: undefined },
    { name: 'same host, other port: no received (§18.2.1 compares hosts only)', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1', from: ['192.0.2.1', 7000], received: undefined, rport: undefined },
    { name: 'sent-by differs: received added', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1', from: ['198.51.100.7', 5060], received: '198.51.100.7', rport: undefined },
    { name: 'sent-by is a name: received added', via: 'SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1', from: ['192.0.2.1', 5060], received: '192.0.2.1', rport: undefined },
    { name: 'valueless rport: filled, and received always added', via: 'SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1', from: ['192.0.2.1', 40000], received: '192.0.2.1', rport: 40000 },
    { name: 'rport with a value is left alone', via: 'SIP/2.0/UDP 192.0.2.1:5060;rport=5060;branch=z9hG4bK1', from: ['192.0.2.1', 40000], received: undefined, rport: '5060' },
    { name: 'IPv6 sent-by with brackets equals the source', via: 'SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1', from: ['2001:DB8:0:0::1', 5060], received: undefined, rport: undefined },
    { name: 'IPv6 source differs: received without brackets', via: 'SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1', from: ['2001:db8::9', 5060], received: '2001:db8::9', rport: undefined },
    { name: 'IPv6 with rport', via: 'SIP/2.0/TCP [::1]:5060;rport;branch=z9hG4bK1', from: ['::1', 50000], received: '::1', rport: 50000 },
  ];
  it.each(cases)('$name', ({ via, from, received, rport }) => {
    const rq = request(via);
    stampReceived(rq, remote(from[0], from[1]));
    const top = rq.headers.via![0]!;
    expect(top.params.received).toBe(received);
    expect(top.params.rport).toBe(rport);
  });

  it('touches only the top Via', () => {
    const rq = request('SIP/2.0/UDP 192.0.2.1;rport;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.2;rport;branch=z9hG4bK2');
    stampReceived(rq, remote('198.51.100.1', 1234));
    expect(rq.headers.via![1]!.params).toEqual({ rport: null, branch: 'z9hG4bK2' });
  });

  it('leaves a request without Via alone', () => {
    const rq = request('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1');
    delete rq.headers.via;
    expect(() => {
      stampReceived(rq, remote('198.51.100.1', 1234));
    }).not.toThrow();
  });
});

describe('checkMandatoryHeaders and lazily parsed headers (RFC 4475 §3.1.2.12)', () => {
  const via = 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1';
  it.each([
    ['Contact: <sip:alice@>\r\n', 'malformed contact header'],
    ['Record-Route: not a uri\r\n', 'malformed record-route header'],
    ['Path: <>\r\n', 'malformed path header'],
    ['Authorization: Digest ,,,\r\n', 'malformed authorization header'],
  ])('a fault in a header the stack acts on is a 400: %s', (extra, reason) => {
    expect(checkMandatoryHeaders(request(via, extra))).toBe(reason);
  });
  it('a response with a malformed Record-Route or WWW-Authenticate is refused too (the dialog and digest client read them)', () => {
    const rs = (extra: string): SipMessage => parseMessage(`SIP/2.0 401 Unauthorized\r\nVia: ${via}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 2 INVITE\r\n${extra}Content-Length: 0\r\n\r\n`);
    expect(checkMandatoryHeaders(rs('Record-Route: <>\r\n'))).toBe('malformed record-route header');
    expect(checkMandatoryHeaders(rs('WWW-Authenticate: Digest ,,,\r\n'))).toBe('malformed www-authenticate header');
    expect(checkMandatoryHeaders(rs('WWW-Authenticate: Digest realm="h", nonce="n"\r\n'))).toBeUndefined();
  });
  it('a fault in an informational header leaves the request deliverable (RFC 4475 baddate)', () => {
    expect(checkMandatoryHeaders(request(via, 'Date: Fri, 01 Jan 2010 16:00:00 EST\r\nContact: <sip:alice@192.0.2.1>\r\n'))).toBeUndefined();
  });
});

describe('checkMandatoryHeaders', () => {
  const base = request('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1');
  const cases: { name: string; change: (m: SipMessage) => void; reason: string | undefined }[] = [
    { name: 'a complete request', change: () => undefined, reason: undefined },
    { name: 'no Via', change: (m) => delete m.headers.via, reason: 'missing Via header' },
    { name: 'empty Via list', change: (m) => (m.headers.via = []), reason: 'missing Via header' },
    { name: 'no From', change: (m) => delete m.headers.from, reason: 'missing From header' },
    { name: 'no To', change: (m) => delete m.headers.to, reason: 'missing To header' },
    { name: 'no Call-ID', change: (m) => delete m.headers['call-id'], reason: 'missing Call-ID header' },
    { name: 'no CSeq', change: (m) => delete m.headers.cseq, reason: 'missing CSeq header' },
    { name: 'CSeq method differs', change: (m) => (m.headers.cseq = { seq: 1, method: 'INVITE' }), reason: 'CSeq method does not match the request method' },
  ];
  it.each(cases)('$name', ({ change, reason }) => {
    const m = structuredClone(base);
    change(m);
    expect(checkMandatoryHeaders(m)).toBe(reason);
  });

  it('accepts a response whose CSeq method is any method', () => {
    const rs = parseMessage('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n');
    expect(checkMandatoryHeaders(rs)).toBeUndefined();
  });
});

describe('address helpers', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['[2001:DB8:0:0:1:0:0:1]', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:0:0:0:5', '2001:db8:0:1::5'],
    ['Example.COM', 'example.com'],
  ])('canonicalIp(%s) = %s', (input, out) => {
    expect(canonicalIp(input)).toBe(out);
  });

  it.each([
    ['127.0.0.1', true],
    ['[::1]', true],
    ['fe80::1', true],
    ['256.1.1.1', false],
    ['example.com', false],
    ['1.2.3', false],
  ])('isIpAddress(%s) = %s', (input, out) => {
    expect(isIpAddress(input)).toBe(out);
  });
});
