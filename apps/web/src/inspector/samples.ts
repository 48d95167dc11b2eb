/**
 * The example the "Load example" button puts in the input: an INVITE as a proxy forwards it (two
 * Vias, Record-Route, digest credentials) with an SDP offer, then the 180 and 200 it gets back.
 * Addresses are from the documentation ranges (RFC 5737, RFC 2606).
 */

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  '',
].join('\r\n');

function message(lines: string[], body = ''): string {
  const length = new TextEncoder().encode(body).length;
  return [...lines, `Content-Length: ${length}`, '', ''].join('\r\n') + body;
}

/** A realistic INVITE with an SDP body. */
export const EXAMPLE_INVITE = message(
  [
    'INVITE sip:bob@biloxi.example.com;transport=tcp SIP/2.0',
    'Via: SIP/2.0/TCP proxy.atlanta.example.com:5060;branch=z9hG4bK2d4790.1',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=198.51.100.7;rport=50312',
    'Max-Forwards: 69',
    'Record-Route: <sip:proxy.atlanta.example.com;lr>',
    'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    'To: Bob <sip:bob@biloxi.example.com>',
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 2 INVITE',
    'Contact: <sip:alice@192.0.2.10:5060;transport=udp>;expires=3600',
    'Proxy-Authorization: Digest username="alice", realm="atlanta.example.com", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", uri="sip:bob@biloxi.example.com", response="dfe56131d1958046689d83306477ecc", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="0a4f113b"',
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE',
    'Supported: replaces, timer',
    'User-Agent: sipts-inspector-example/1.0',
    'Content-Type: application/sdp',
  ],
  SDP,
);

/** The INVITE followed by the 180 and 200 it gets back, as a capture with blank lines between. */
export const EXAMPLE_CAPTURE = [
  EXAMPLE_INVITE,
  message([
    'SIP/2.0 180 Ringing',
    'Via: SIP/2.0/TCP proxy.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=203.0.113.4',
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=198.51.100.7;rport=50312',
    'Record-Route: <sip:proxy.atlanta.example.com;lr>',
    'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
    'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
    'Call-ID: 3848276298220188511@atlanta.example.com',
    'CSeq: 2 INVITE',
    'Contact: <sip:bob@203.0.113.20>',
  ]),
  message(
    [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/TCP proxy.atlanta.example.com:5060;branch=z9hG4bK2d4790.1;received=203.0.113.4',
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;received=198.51.100.7;rport=50312',
      'Record-Route: <sip:proxy.atlanta.example.com;lr>',
      'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=9fxced76sl',
      'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
      'Call-ID: 3848276298220188511@atlanta.example.com',
      'CSeq: 2 INVITE',
      'Contact: <sip:bob@203.0.113.20>',
      'Content-Type: application/sdp',
    ],
    SDP.replace(/alice 2890844526 2890844526/, 'bob 2808844564 2808844564').replace(/192\.0\.2\.10/g, '203.0.113.20').replace('49170', '3456'),
  ),
].join('\r\n');
