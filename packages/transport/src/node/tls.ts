/**
 * The TLS transport (node:tls). Server and client options are separate (the classic library
 * shares one object); the client verifies the server's certificate by default and sends SNI.
 * @see RFC 3261 §18.3, §26.2.1, RFC 5922 (certificate names), RFC 6066 §3 (SNI)
 */
import { isIP } from 'node:net';
import { connect, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { SipError } from '@sipts/message';
import type { Target } from '../types.js';
import type { Connection, ConnectionEvents } from './connection.js';
import {
  connectStream,
  serveStream,
  type ListenerEvents,
  type StreamConnectOptions,
  type StreamListenOptions,
  type StreamListener,
} from './tcp.js';

/** PEM text or bytes. */
export type Pem = string | Uint8Array;

/** The server side of TLS. */
export interface TlsServerOptions {
  key: Pem;
  cert: Pem;
  /** CAs trusted for client certificates. */
  ca?: Pem | Pem[];
  /** Ask clients for a certificate (mutual TLS); unauthorized ones are refused. Default false. */
  requestCert?: boolean;
}

/** The client side of TLS. */
export interface TlsClientOptions {
  /** CAs trusted for server certificates; default the system's. */
  ca?: Pem | Pem[];
  /** Verify the server's certificate. Default true: switch it off only in tests. */
  rejectUnauthorized?: boolean;
  /** A client certificate for mutual TLS. */
  key?: Pem;
  cert?: Pem;
}

/** PEM text as it is, bytes as a Buffer (what node:tls takes). */
export function pem(v: Pem): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v);
}

/**
 * Listens for TLS connections.
 * @throws SipError `bind-failed` naming the address and port
 * @example const l = await listenTls({ address: '0.0.0.0', port: 5061, limits, logger, admit }, { key, cert }, events)
 * @see RFC 3261 §18.3, §26.2.1
 */
export function listenTls(options: StreamListenOptions, tls: TlsServerOptions, events: ListenerEvents): Promise<StreamListener> {
  const server = createServer({
    key: pem(tls.key),
    cert: pem(tls.cert),
    ...(tls.ca !== undefined ? { ca: Array.isArray(tls.ca) ? tls.ca.map(pem) : pem(tls.ca) } : {}),
    requestCert: tls.requestCert ?? false,
    rejectUnauthorized: tls.requestCert ?? false,
    // A handshake is a message too: it must complete as fast (slowloris on the handshake).
    handshakeTimeout: options.limits.messageDeadlineMs,
  });
  server.on('tlsClientError', (err, socket) => {
    options.logger.debug('TLS handshake failed', { error: err });
    // With a listener here node no longer destroys the socket itself (e.g. on the handshake timeout).
    socket.destroy();
  });
  return serveStream({ protocol: 'TLS', server, readyEvent: 'secureConnection' }, options, events);
}

/**
 * The node:tls options that {@link TlsClientOptions} stand for, shared by TLS and WSS connections:
 * verification on unless `rejectUnauthorized` is false, the CAs and the client certificate.
 * @example const opts = tlsClientSecureOptions({ ca: caPem }) // { rejectUnauthorized: true, ca: caPem }
 * @see RFC 3261 §26.2.1
 */
export function tlsClientSecureOptions(client: TlsClientOptions): ConnectionOptions {
  const opts: ConnectionOptions = { rejectUnauthorized: client.rejectUnauthorized ?? true };
  if (client.ca !== undefined) opts.ca = Array.isArray(client.ca) ? client.ca.map(pem) : pem(client.ca);
  if (client.key !== undefined) opts.key = pem(client.key);
  if (client.cert !== undefined) opts.cert = pem(client.cert);
  return opts;
}

/** The node:tls connect options for a target: verification on unless switched off, SNI from `target.host`. */
export function tlsConnectOptions(target: Target, client: TlsClientOptions): ConnectionOptions {
  const opts: ConnectionOptions = { host: target.address, port: target.port, ...tlsClientSecureOptions(client) };
  // SNI carries a name, never an IP address (RFC 6066 §3); the certificate is checked against it.
  const name = target.host;
  if (name !== undefined && name !== '' && isIP(name) === 0) opts.servername = name;
  return opts;
}

/**
 * Opens a TLS connection to `target`, verifying the server's certificate against `target.host`
 * (or the address when there is no name) unless `rejectUnauthorized` is false.
 * @throws SipError `connect-failed` (status 503): refused, timed out, or the certificate is not trusted
 * @example const conn = await connectTls({ protocol: 'TLS', address: '192.0.2.1', port: 5061, host: 'sip.example.com' }, {}, options, events)
 * @see RFC 3261 §26.2.1, RFC 5922 §7
 */
export function connectTls(target: Target, client: TlsClientOptions, options: StreamConnectOptions, events: ConnectionEvents): Promise<Connection> {
  const open = (): TLSSocket => connect(tlsConnectOptions(target, client));
  return connectStream({ protocol: 'TLS', target, open, readyEvent: 'secureConnect' }, options, events).catch((e: unknown) => {
    throw explainCertificateError(e, target);
  });
}

/**
 * A certificate that failed verification says why in the error (the name it was checked against,
 * what node:tls found wrong), not only its code: `ERR_TLS_CERT_ALTNAME_INVALID` becomes "… does
 * not name sip.example.com: Hostname/IP does not match certificate's altnames …".
 */
function explainCertificateError(e: unknown, target: Target): unknown {
  if (!(e instanceof SipError) || !(e.cause instanceof Error)) return e;
  const code = (e.cause as NodeJS.ErrnoException).code ?? '';
  const certificate = code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /CERT|_SIGNATURE|ISSUER|SELF_SIGNED/.test(code);
  if (!certificate) return e;
  const name = target.host ?? target.address;
  return new SipError('connect-failed', `${e.message}: the server's certificate is not accepted for ${name}: ${e.cause.message}`, { status: 503, cause: e.cause });
}
