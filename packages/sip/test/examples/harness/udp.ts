/**
 * A hand-written UDP peer for what sipp cannot script exactly: the same request sent more than
 * once with the same branch (a retransmission, RFC 3261 §17.1.2.2), and every reply collected.
 */
import { createSocket } from 'node:dgram';
import { parseWire, type WireMessage } from './wire.js';

/** A REGISTER from user at 127.0.0.1:localPort, with the given branch and Call-ID. */
export function registerText(o: { port: number; localPort: number; user: string; branch: string; callId: string; contact?: string }): string {
  const contact = o.contact ?? `sip:${o.user}@127.0.0.1:${o.localPort}`;
  return [
    `REGISTER sip:127.0.0.1:${o.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.localPort};branch=${o.branch};rport`,
    `From: <sip:${o.user}@127.0.0.1>;tag=${o.branch.slice(-8)}`,
    `To: <sip:${o.user}@127.0.0.1>`,
    `Call-ID: ${o.callId}`,
    'CSeq: 1 REGISTER',
    `Contact: <${contact}>`,
    'Max-Forwards: 70',
    'Expires: 60',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** An INVITE (no body) for user at the app, from 127.0.0.1:localPort. */
export function inviteText(o: { port: number; localPort: number; user: string; branch: string }): string {
  return [
    `INVITE sip:${o.user}@127.0.0.1:${o.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.localPort};branch=${o.branch};rport`,
    `From: <sip:caller@127.0.0.1>;tag=${o.branch.slice(-8)}`,
    `To: <sip:${o.user}@127.0.0.1>`,
    `Call-ID: ${o.branch}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${o.localPort}>`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/**
 * Sends `text` `times` times, `gapMs` apart, from a fresh socket on 127.0.0.1, and returns every
 * datagram that came back within `collectMs` after the last send.
 */
export async function sendUdp(port: number, text: string | ((localPort: number) => string), o: { times?: number; gapMs?: number; collectMs?: number } = {}): Promise<WireMessage[]> {
  const socket = createSocket('udp4');
  const replies: WireMessage[] = [];
  socket.on('message', (data) => {
    replies.push(parseWire(data.toString('latin1')));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => { resolve(); }));
  try {
    const local = socket.address().port;
    const bytes = Buffer.from(typeof text === 'string' ? text : text(local), 'latin1');
    for (let i = 0; i < (o.times ?? 1); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, o.gapMs ?? 200));
      socket.send(bytes, port, '127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, o.collectMs ?? 1000));
    return replies;
  } finally {
    socket.close();
  }
}
