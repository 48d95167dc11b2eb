import { parseMessage, type SipResponse } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { responseTarget, type Remote, type TransportProtocol } from '../src/index.js';

function response(via: string): SipResponse {
  return parseMessage(`SIP/2.0 200 OK\r\nVia: ${via}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`) as SipResponse;
}

function remote(protocol: TransportProtocol, address: string, port: number, flowId?: string): Remote {
  const r: Remote = { protocol, address, port, local: { address: '127.0.0.1', port: 5060 } };
  if (flowId !== undefined) r.flowId = flowId;
  return r;
}

describe('responseTarget (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  const cases: { name: string; via: string; remote?: Remote; symmetric?: boolean; expected: object }[] = [
    {
      name: 'UDP: sent-by host and port',
      via: 'SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1',
      remote: remote('UDP', '192.0.2.1', 5070),
      expected: { protocol: 'UDP', address: '192.0.2.1', port: 5070 },
    },
    {
      name: 'UDP: sent-by without port defaults to 5060',
      via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1',
      expected: { protocol: 'UDP', address: '192.0.2.1', port: 5060 },
    },
    {
      name: 'UDP: received without rport goes to received and the sent-by port',
      via: 'SIP/2.0/UDP 10.0.0.1:5070;received=192.0.2.9;branch=z9hG4bK1',
      remote: remote('UDP', '192.0.2.9', 40000),
      expected: { protocol: 'UDP', address: '192.0.2.9', port: 5070 },
    },
    {
      name: 'UDP: received and rport (RFC 3581)',
      via: 'SIP/2.0/UDP 10.0.0.1:5070;received=192.0.2.9;rport=40000;branch=z9hG4bK1',
      remote: remote('UDP', '192.0.2.9', 40000),
      expected: { protocol: 'UDP', address: '192.0.2.9', port: 40000 },
    },
    {
      name: 'UDP: maddr wins over received',
      via: 'SIP/2.0/UDP 10.0.0.1:5070;maddr=239.255.255.1;received=192.0.2.9;branch=z9hG4bK1',
      remote: remote('UDP', '192.0.2.9', 40000),
      expected: { protocol: 'UDP', address: '239.255.255.1', port: 5070 },
    },
    {
      name: 'UDP symmetric: the packet source, whatever Via says',
      via: 'SIP/2.0/UDP 10.0.0.1:5070;received=192.0.2.9;branch=z9hG4bK1',
      remote: remote('UDP', '192.0.2.9', 40000),
      symmetric: true,
      expected: { protocol: 'UDP', address: '192.0.2.9', port: 40000 },
    },
    {
      name: 'UDP: a sent-by host name is returned for RFC 3263 §5 resolution',
      via: 'SIP/2.0/UDP Pc33.Example.com:5080;branch=z9hG4bK1',
      expected: { protocol: 'UDP', address: 'pc33.example.com', port: 5080, host: 'pc33.example.com' },
    },
    {
      name: 'UDP: IPv6 received without brackets',
      via: 'SIP/2.0/UDP [2001:db8::1]:5070;received=2001:db8::9;rport=4000;branch=z9hG4bK1',
      expected: { protocol: 'UDP', address: '2001:db8::9', port: 4000 },
    },
    {
      name: 'UDP: IPv6 received with brackets (RFC 5118 §4.5)',
      via: 'SIP/2.0/UDP [2001:db8::1]:5070;received=[2001:db8::9];branch=z9hG4bK1',
      expected: { protocol: 'UDP', address: '2001:db8::9', port: 5070 },
    },
    {
      name: 'UDP: IPv6 sent-by',
      via: 'SIP/2.0/UDP [::1]:5070;branch=z9hG4bK1',
      expected: { protocol: 'UDP', address: '::1', port: 5070 },
    },
    {
      name: 'TCP: the same flow, with received:sent-by port to reconnect to',
      via: 'SIP/2.0/TCP 10.0.0.1:5070;received=192.0.2.9;branch=z9hG4bK1',
      remote: remote('TCP', '192.0.2.9', 40001, 'TCP/1/192.0.2.9/40001'),
      expected: { protocol: 'TCP', address: '192.0.2.9', port: 5070, flowId: 'TCP/1/192.0.2.9/40001' },
    },
    {
      name: 'TCP: rport does not change the reconnect port',
      via: 'SIP/2.0/TCP 10.0.0.1:5070;received=192.0.2.9;rport=40001;branch=z9hG4bK1',
      remote: remote('TCP', '192.0.2.9', 40001, 'f'),
      expected: { protocol: 'TCP', address: '192.0.2.9', port: 5070, flowId: 'f' },
    },
    {
      name: 'TLS: default port 5061',
      via: 'SIP/2.0/TLS 192.0.2.1;branch=z9hG4bK1',
      expected: { protocol: 'TLS', address: '192.0.2.1', port: 5061 },
    },
    {
      name: 'TCP symmetric changes nothing (same flow anyway)',
      via: 'SIP/2.0/TCP 192.0.2.1:5070;branch=z9hG4bK1',
      remote: remote('TCP', '192.0.2.1', 40001, 'f'),
      symmetric: true,
      expected: { protocol: 'TCP', address: '192.0.2.1', port: 5070, flowId: 'f' },
    },
    {
      name: 'the transport the request came on wins over the Via token',
      via: 'SIP/2.0/udp 192.0.2.1:5070;branch=z9hG4bK1',
      remote: remote('TCP', '192.0.2.1', 40001, 'f'),
      expected: { protocol: 'TCP', address: '192.0.2.1', port: 5070, flowId: 'f' },
    },
    {
      name: 'lower-case transport in Via',
      via: 'SIP/2.0/tcp 192.0.2.1;branch=z9hG4bK1',
      expected: { protocol: 'TCP', address: '192.0.2.1', port: 5060 },
    },
  ];
  it.each(cases)('$name', ({ via, remote: r, symmetric, expected }) => {
    expect(responseTarget(response(via), r, { symmetric: symmetric ?? false })).toEqual(expected);
  });

  it('throws a 503 SipError without a Via or with an unknown transport', () => {
    const rs = response('SIP/2.0/UDP h;branch=z9hG4bK1');
    delete rs.headers.via;
    expect(() => responseTarget(rs, undefined, { symmetric: false })).toThrow(expect.objectContaining({ code: 'send-failed', status: 503 }));
    expect(() => responseTarget(response('SIP/2.0/SCTP h;branch=z9hG4bK1'), undefined, { symmetric: false })).toThrow(expect.objectContaining({ status: 503 }));
  });
});
