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

/** Options of {@link sendUdp}. */
export interface SendUdpOptions {
  /** How many copies to send (the same bytes, the same branch: retransmissions). Default 1. */
  times?: number;
  /** Done once this holds for the replies so far. Default: one reply per copy sent. */
  until?: (replies: readonly WireMessage[]) => boolean;
  /** Only a bound, never a window: a reply that does not come within it fails the test. Default 30 s. */
  boundMs?: number;
}

/** Resolves once `done()` holds, polling on the event loop; rejects after `boundMs`. */
async function waitFor(done: () => boolean, boundMs: number, what: string): Promise<void> {
  const end = Date.now() + boundMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${String(boundMs)} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Sends `text` `times` times from a fresh socket on 127.0.0.1, each copy once the one before it has
 * been answered, and returns the replies once `until` holds. No fixed collection window: the
 * result is the same on a fast machine and on a loaded one.
 * @throws Error when a reply that is waited for does not come within `boundMs`
 */
export async function sendUdp(port: number, text: string | ((localPort: number) => string), o: SendUdpOptions = {}): Promise<WireMessage[]> {
  const socket = createSocket('udp4');
  const replies: WireMessage[] = [];
  socket.on('message', (data) => {
    replies.push(parseWire(data.toString('latin1')));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => { resolve(); }));
  const times = o.times ?? 1;
  const boundMs = o.boundMs ?? 30_000;
  try {
    const local = socket.address().port;
    const bytes = Buffer.from(typeof text === 'string' ? text : text(local), 'latin1');
    for (let i = 0; i < times; i++) {
      if (i > 0) await waitFor(() => replies.length >= i, boundMs, `reply to copy ${String(i)}`);
      socket.send(bytes, port, '127.0.0.1');
    }
    const until = o.until ?? ((r: readonly WireMessage[]) => r.length >= times);
    await waitFor(() => until(replies), boundMs, 'reply the test waits for');
    return replies;
  } finally {
    socket.close();
  }
}
