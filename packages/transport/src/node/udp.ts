/**
 * The UDP transport (node:dgram): one socket per listen address, `udp4` or `udp6` by the address
 * (`::` is dual stack). Errors never escape: a bind error rejects the bind, a send error rejects
 * the sender's promise, a socket error after that is logged.
 * @see RFC 3261 §18.1.1, §18.2.1
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIPv6 } from 'node:net';
import { SipError } from '@sipts/message';
import { canonicalIp } from '../receive.js';
import { safely } from '../safely.js';
import type { Logger, Remote, TransportLimits } from '../types.js';

/** Options of {@link listenUdp}. */
export interface UdpOptions {
  address: string;
  /** 0 picks an ephemeral port. */
  port: number;
  limits: Required<TransportLimits>;
  logger: Logger;
  /** SO_RCVBUF in bytes; the kernel caps it at net.core.rmem_max. Default: the system's. */
  receiveBufferBytes?: number;
  /** SO_SNDBUF in bytes; the kernel caps it at net.core.wmem_max. Default: the system's. */
  sendBufferBytes?: number;
}

/** What a UDP endpoint reports. Implementations of these must not throw (they are caught anyway). */
export interface UdpEvents {
  /** One datagram within the size limit. */
  onMessage(bytes: Uint8Array, remote: Remote): void;
  /** A datagram larger than `maxDatagramBytes` was dropped. */
  onOversize?(size: number, remote: Remote): void;
  /**
   * The OS reported a send error after `send` returned (rare on UDP: the address was checked
   * before). One function for all sends: no closure per datagram.
   */
  onSendError?(error: SipError): void;
}

/** A bound UDP socket. */
export interface UdpEndpoint {
  readonly protocol: 'UDP';
  /** 4 or 6; a family-6 socket bound to `::` also reaches IPv4 (dual stack). */
  readonly family: 4 | 6;
  readonly dualStack: boolean;
  readonly address: string;
  readonly port: number;
  /** SO_RCVBUF as the kernel reports it (Linux doubles what was asked, up to net.core.rmem_max). */
  readonly receiveBufferBytes: number;
  /** True when this socket can send to `address` (its family, or IPv4 on a dual-stack socket). */
  canReach(address: string): boolean;
  /**
   * Sends one datagram now: no Promise, no closure. `address` is an IP address as
   * `canonicalIp` writes it (IPv6 without brackets): it is not resolved again.
   * @throws SipError `send-failed` (status 503): too large, wrong address family, closed socket, or
   *   the OS refused it synchronously; later OS errors go to `UdpEvents.onSendError`
   */
  send(bytes: Uint8Array, address: string, port: number): void;
  /**
   * Sends one datagram back to where traffic came from (a response, a stateless reply), as
   * {@link send} but without asking the OS how it went: node reports a send error only through a
   * callback per datagram, which costs a tick of the event loop each time (about 0.9 µs per
   * response, bench/BUDGET.md, sixth pass), and for an address a datagram just came from the OS
   * has nothing to refuse in practice. Nothing but the error counter read it.
   * @throws SipError `send-failed` (status 503), as {@link send}
   */
  reply(bytes: Uint8Array, address: string, port: number): void;
  /** Closes the socket; resolves once it is closed. Idempotent. */
  close(): Promise<void>;
}

/** True for what can only be an IP literal: any colon (IPv6), or digits and dots only (IPv4). */
function looksLiteral(host: string): boolean {
  if (host.includes(':')) return true;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return host.length > 0;
}

/**
 * dgram's address lookup for a socket that is only ever given IP literals: answers at once,
 * without node's per-datagram `isIP` regexes and `dns.lookup` round through the next tick; a host
 * name still goes to `dns.lookup`.
 */
function literalLookup(host: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // Node's dgram passes the socket's family as a number (4 or 6), though the typings say options.
  const given = options as LookupOneOptions | number;
  const family = typeof given === 'number' ? given : typeof given.family === 'number' ? given.family : 0;
  if (looksLiteral(host)) {
    callback(null, host, host.includes(':') ? 6 : 4);
    return;
  }
  dnsLookup(host, { family }, callback);
}

function sendFailed(message: string, cause?: unknown): SipError {
  return new SipError('send-failed', message, cause === undefined ? { status: 503 } : { status: 503, cause });
}

/**
 * Binds a UDP socket.
 * @throws SipError `bind-failed` naming the address and port (EADDRINUSE, EADDRNOTAVAIL…)
 * @example const udp = await listenUdp({ address: '0.0.0.0', port: 5060, limits, logger }, { onMessage })
 */
export function listenUdp(options: UdpOptions, events: UdpEvents): Promise<UdpEndpoint> {
  const family: 4 | 6 = isIPv6(options.address) ? 6 : 4;
  const dualStack = family === 6 && canonicalIp(options.address) === '::';
  const socket: Socket = createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    lookup: literalLookup,
    ipv6Only: family === 6 && !dualStack,
    ...(options.receiveBufferBytes !== undefined ? { recvBufferSize: options.receiveBufferBytes } : {}),
    ...(options.sendBufferBytes !== undefined ? { sendBufferSize: options.sendBufferBytes } : {}),
  });
  const { logger, limits } = options;
  /** Where the socket is bound: one frozen object, shared by the `remote` of every datagram. */
  let local: Remote['local'] = Object.freeze({ address: options.address, port: options.port });
  let closed: Promise<void> | undefined;
  const afterSend = (err: Error | null): void => {
    if (err === null) return;
    const error = sendFailed(`UDP send failed: ${err.message}`, err);
    if (events.onSendError !== undefined) events.onSendError(error);
    else logger.debug('UDP send failed', { error });
  };

  /**
   * Hands a datagram to the socket after the checks both sends make; `done` is the completion
   * callback (`send`) or none (`reply`: no tick of the event loop per datagram).
   */
  const sendNow = (bytes: Uint8Array, address: string, port: number, done: typeof afterSend | undefined): void => {
    if (closed !== undefined) throw sendFailed('the UDP socket is closed');
    if (bytes.length > limits.maxDatagramBytes) {
      throw sendFailed(`a ${String(bytes.length)}-byte message exceeds the UDP limit of ${String(limits.maxDatagramBytes)} bytes`);
    }
    const v6 = address.includes(':');
    if (v6 && family === 4) throw sendFailed(`no IPv6 UDP socket to send to [${address}]:${String(port)}`);
    if (!v6 && family === 6 && !dualStack) throw sendFailed(`no IPv4 UDP socket to send to ${address}:${String(port)}`);
    const to = !v6 && family === 6 ? '::ffff:' + address : address;
    try {
      if (done === undefined) socket.send(bytes, port, to);
      else socket.send(bytes, port, to, done);
    } catch (e) {
      throw sendFailed(`UDP send to ${address}:${String(port)} failed: ${e instanceof Error ? e.message : String(e)}`, e);
    }
  };

  /** A datagram's handling, which must not throw into the socket (called through `safely`, no closure per datagram). */
  const receive = (msg: Buffer, remote: Remote): void => {
    if (msg.length > limits.maxDatagramBytes) events.onOversize?.(msg.length, remote);
    else events.onMessage(msg, remote);
  };
  socket.on('message', (msg, rinfo) => {
    const remote: Remote = { protocol: 'UDP', address: canonicalIp(rinfo.address), port: rinfo.port, local };
    safely(logger, 'UDP message handler', receive, msg, remote);
  });

  const endpoint: UdpEndpoint = {
    protocol: 'UDP',
    family,
    dualStack,
    get address() {
      return local.address;
    },
    get port() {
      return local.port;
    },
    get receiveBufferBytes() {
      return socket.getRecvBufferSize();
    },
    canReach(address: string): boolean {
      return address.includes(':') ? family === 6 : family === 4 || dualStack;
    },
    send(bytes: Uint8Array, address: string, port: number): void {
      sendNow(bytes, address, port, afterSend);
    },
    reply(bytes: Uint8Array, address: string, port: number): void {
      sendNow(bytes, address, port, undefined);
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        try {
          socket.close(() => {
            resolve();
          });
        } catch {
          resolve(); // already closed (e.g. never bound)
        }
      });
      return closed;
    },
  };

  return new Promise<UdpEndpoint>((resolve, reject) => {
    const onBindError = (err: Error): void => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      reject(new SipError('bind-failed', `cannot bind UDP ${options.address}:${String(options.port)}: ${code}`, { cause: err }));
      void endpoint.close();
    };
    socket.once('error', onBindError);
    socket.bind({ address: options.address, port: options.port, exclusive: true }, () => {
      socket.off('error', onBindError);
      socket.on('error', (err) => {
        logger.warn('UDP socket error', { error: err, address: local.address, port: local.port });
      });
      const a = socket.address();
      local = Object.freeze({ address: canonicalIp(a.address), port: a.port });
      resolve(endpoint);
    });
  });
}
