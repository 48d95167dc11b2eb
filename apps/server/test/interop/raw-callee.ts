/**
 * A callee on a raw UDP socket that the test drives step by step: it rings (180) as soon as the
 * INVITE arrives, and answers (200) only when the test calls `answer()`. A sipp callee answers
 * after a fixed pause, which on a loaded machine may end before the test has done what it had to
 * do while the call was ringing; here the order is the test's, whatever the machine's speed.
 */
import { createSocket } from 'node:dgram';
import { token } from './raw.js';

/** The callee of {@link startRawCallee}. */
export interface RawCallee {
  /** Resolves with the INVITE once it has arrived (the 180 has been sent by then). */
  readonly invited: Promise<string>;
  /** Sends the 200 (with the INVITE's Record-Route, so the ACK comes through the server); resolves with the ACK. */
  answer(): Promise<string>;
  close(): Promise<void>;
}

const headerLines = (text: string, name: RegExp): string[] =>
  (text.split('\r\n\r\n')[0] ?? '').split('\r\n').filter((l) => name.test(l));

/** Binds 127.0.0.1:`port` (the contact a registration left in the server) and waits for one INVITE. */
export async function startRawCallee(options: { port: number; user: string }): Promise<RawCallee> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(options.port, '127.0.0.1', () => { resolve(); }));
  const tag = token();
  let invite: string | undefined;
  let server = 0;
  let onInvite: (text: string) => void = () => undefined;
  let onAck: (text: string) => void = () => undefined;
  const invited = new Promise<string>((resolve) => (onInvite = resolve));
  const acked = new Promise<string>((resolve) => (onAck = resolve));
  const reply = (status: string): void => {
    const text = invite ?? '';
    const to = headerLines(text, /^(to|t)\s*:/i)[0] ?? '';
    const lines = [
      `SIP/2.0 ${status}`,
      ...headerLines(text, /^(via|v)\s*:/i),
      ...headerLines(text, /^record-route\s*:/i),
      ...headerLines(text, /^(from|f)\s*:/i),
      `${to};tag=${tag}`,
      ...headerLines(text, /^(call-id|i)\s*:/i),
      ...headerLines(text, /^cseq\s*:/i),
      `Contact: <sip:${options.user}@127.0.0.1:${String(options.port)}>`,
      'Content-Length: 0',
      '',
      '',
    ];
    socket.send(Buffer.from(lines.join('\r\n'), 'latin1'), server, '127.0.0.1');
  };
  socket.on('message', (m, rinfo) => {
    const text = m.toString('latin1');
    if (text.startsWith('INVITE ') && invite === undefined) {
      invite = text;
      server = rinfo.port;
      reply('180 Ringing');
      onInvite(text);
    } else if (text.startsWith('ACK ')) {
      onAck(text);
    }
  });
  return {
    invited,
    answer: () => {
      reply('200 OK');
      return acked;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => { resolve(); })),
  };
}
