/**
 * Raw SIP over node:dgram and node:net for the bad-input tests: bytes exactly as written (so
 * malformed requests stay malformed), responses collected for a bounded time.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';

/** A random token for branches, tags and Call-IDs. */
export function token(): string {
  return randomBytes(8).toString('hex');
}

/** The status code of a response text (NaN when it is not one). */
export function statusOf(response: string): number {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(response);
  return m === null ? NaN : Number(m[1]);
}

/** A header value of a message text (first occurrence, case-insensitive), or undefined. */
export function headerOf(message: string, name: string): string | undefined {
  const head = message.split('\r\n\r\n')[0] ?? '';
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

/** A request text with CRLF line ends and a Content-Length (unless `lines` has one). */
export function request(lines: string[], body = ''): string {
  const hasLength = lines.some((l) => /^content-length\s*:/i.test(l));
  return [...lines, ...(hasLength ? [] : [`Content-Length: ${String(Buffer.byteLength(body))}`]), '', body].join('\r\n');
}

/** A valid OPTIONS to the server itself (RFC 3261 §11), from a user of another domain. */
export function options(proto: 'UDP' | 'TCP', serverPort: number, localPort: number): string {
  return request([
    `OPTIONS sip:127.0.0.1:${String(serverPort)} SIP/2.0`,
    `Via: SIP/2.0/${proto} 127.0.0.1:${String(localPort)};branch=z9hG4bK${token()};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@example.org>;tag=${token()}`,
    `To: <sip:127.0.0.1:${String(serverPort)}>`,
    `Call-ID: ${token()}`,
    'CSeq: 1 OPTIONS',
  ]);
}

/** An unauthenticated REGISTER of `user` (the server answers 401, or 503 when limited). */
export function register(proto: 'UDP' | 'TCP', user: string, localPort: number, host = '127.0.0.1'): string {
  return request([
    'REGISTER sip:localhost SIP/2.0',
    `Via: SIP/2.0/${proto} ${host}:${String(localPort)};branch=z9hG4bK${token()};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@localhost>;tag=${token()}`,
    `To: <sip:${user}@localhost>`,
    `Call-ID: ${token()}`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:${user}@${host}:${String(localPort)}>`,
    'Expires: 60',
  ]);
}

/** A UDP socket bound on a loopback address that collects every datagram it receives. */
export interface UdpPeer {
  port: number;
  received: string[];
  send(text: string | Buffer, port: number): Promise<void>;
  /** Resolves with the received datagrams once `count` arrived or `ms` passed. */
  collect(count: number, ms: number): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens a {@link UdpPeer} on `address` (any 127.0.0.0/8 address works on Linux). */
export async function udpPeer(address = '127.0.0.1'): Promise<UdpPeer> {
  const socket: Socket = createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (m) => {
    if (received.length < 10_000) received.push(m.toString('latin1'));
  });
  await new Promise<void>((r) => socket.bind(0, address, () => { r(); }));
  const port = socket.address().port;
  return {
    port,
    received,
    send: (text, to) =>
      new Promise((resolve, reject) => {
        socket.send(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, to, '127.0.0.1', (e) => {
          if (e) reject(e);
          else resolve();
        });
      }),
    collect: async (count, ms) => {
      const end = Date.now() + ms;
      while (received.length < count && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return [...received];
    },
    close: () => new Promise<void>((r) => socket.close(() => { r(); })),
  };
}

/**
 * Sends `text` on a new TCP connection and resolves with what came back within `ms` (or until
 * the server closed), and whether the server closed the connection.
 */
export function tcpExchange(port: number, text: string | Buffer, ms: number, until?: (received: string) => boolean): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let closed = false;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    const timer = setTimeout(finish, ms);
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (until?.(received) === true) finish();
    });
    socket.once('error', () => {
      closed = true;
      finish();
    });
    socket.once('end', () => {
      closed = true;
      finish();
    });
    socket.once('connect', () => socket.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text));
  });
}

/** The response `status` to a request text: its Vias, From, To (with a tag), Call-ID and CSeq. */
export function responseTo(requestText: string, status: number): string {
  const lines = (requestText.split('\r\n\r\n')[0] ?? '').split('\r\n');
  const pick = (re: RegExp): string[] => lines.filter((l) => re.test(l));
  const to = pick(/^(to|t)\s*:/i)[0] ?? 'To: <sip:x@invalid>';
  return [
    `SIP/2.0 ${String(status)} Test`,
    ...pick(/^(via|v)\s*:/i),
    ...pick(/^(from|f)\s*:/i),
    /;\s*tag=/i.test(to) ? to : `${to};tag=${token()}`,
    ...pick(/^(call-id|i)\s*:/i),
    ...pick(/^cseq\s*:/i),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/**
 * A {@link UdpPeer} that also answers every request but ACK with `status` (to the datagram's
 * source: the server), standing for a phone or a foreign host in the trust and flood tests.
 */
export async function udpResponder(address: string, status = 200): Promise<UdpPeer> {
  const peer = await udpPeer(address);
  let answered = 0;
  const answer = async (): Promise<void> => {
    while (answered < peer.received.length) {
      const text = peer.received[answered++] ?? '';
      if (text.startsWith('SIP/2.0') || text.startsWith('ACK ')) continue;
      const m = /^(?:via|v)\s*:\s*SIP\/2\.0\/UDP\s+([^;:\s]+):(\d+)/im.exec(text);
      if (m !== null) await peer.send(responseTo(text, status), Number(m[2])).catch(() => undefined);
    }
  };
  const timer = setInterval(() => void answer(), 5);
  const close = peer.close;
  return { ...peer, close: () => { clearInterval(timer); return close(); } };
}
