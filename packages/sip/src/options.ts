/**
 * The options of the classic `sip.start` / `sip.create` (every one the classic code read), and
 * their mapping onto `createStack`'s options. Options of the layers pass through unchanged.
 * @see docs/CLASSIC-API.md "Options"
 */
import { isWildcard } from '@sipts/transport/node';
import type { Pem, StackOptions, TlsOptions, WsOptions, WssOptions, ListenOptions } from './layers.js';
import { toLayerLogger, toTraceHook, type ClassicLogger } from './logger.js';

/** The classic `tls` option: node:tls options shared by the TLS server and the TLS client. */
export interface ClassicTlsOptions {
  key: Pem;
  cert: Pem;
  ca?: Pem | Pem[];
  /** Verify the peer's certificate on connections we open (node:tls default: true). */
  rejectUnauthorized?: boolean;
  /** Ask clients for a certificate. */
  requestCert?: boolean;
  /** Listen port (the classic `tls_port` wins when both are given). */
  port?: number;
  /** sipts' own client options (CAs, verification) for the connections we open. */
  client?: TlsOptions['client'];
}

/** Options of {@link create} and {@link start}: the classic ones, plus the stack's own. */
export interface ClassicOptions extends Omit<StackOptions, 'udp' | 'tcp' | 'tls' | 'logger' | 'port'> {
  /** UDP and TCP port (and the port written in Via). Default 5060; 0 picks a free one. */
  port?: number;
  /** Interface address to listen on. Default all IPv4 interfaces. */
  address?: string;
  /** The host written in Via and used for flow URIs (then `address`, then `hostname`). */
  publicAddress?: string;
  hostname?: string;
  /** UDP on (default) or off; or the stack's listener options. */
  udp?: boolean | ListenOptions;
  /** TCP on (default) or off; or the stack's listener options. */
  tcp?: boolean | ListenOptions;
  /** TLS on when given: certificate, key, CAs for the server and for connections we open. */
  tls?: ClassicTlsOptions;
  /** TLS listen port. Default 5061. */
  tls_port?: number;
  /** WebSocket listen port: WS, or WSS when `tls` is given (RFC 7118). Off by default. */
  ws_port?: number;
  /** `;rport` on outgoing UDP requests (RFC 3581). Default true. */
  rport?: boolean;
  /** Largest header block accepted on a stream connection, in bytes. Default 60,480. */
  maxBytesHeaders?: number;
  /** Largest Content-Length accepted on a stream connection, in bytes. Default 604,800. */
  maxContentLength?: number;
  /**
   * An INVITE ringing (provisional received) longer than this, in ms, is CANCELled and its
   * callback gets a 408. Default 600,000; 0 disables.
   */
  ringTimeLimit?: number;
  /** Max-Forwards given to requests sent without one. Default 70 (RFC 3261 §8.1.1.6). */
  'max-forwards'?: number;
  /** The classic hooks (`send`, `recv`, `error`) and/or a leveled logger (`debug/info/warn/error`). */
  logger?: ClassicLogger;
}

/** No address, or one that means every interface: not one to advertise. */
const unspecified = (address: string | undefined): boolean => address === undefined || address === '' || isWildcard(address);

function listener(value: boolean | ListenOptions | undefined, port: number): false | ListenOptions {
  if (value === false) return false;
  if (typeof value === 'object') return { port, ...value };
  return { port };
}

/**
 * The `createStack` options for classic `options`.
 * @example toStackOptions({ port: 5070, tls: { key, cert } }) // udp/tcp on 5070, tls on 5061
 */
export function toStackOptions(options: ClassicOptions): StackOptions {
  const { port: _port, tls_port: _tlsPort, ws_port: _wsPort, maxBytesHeaders: _mbh, maxContentLength: _mcl, ringTimeLimit: _rtl, 'max-forwards': _mf, logger: _logger, ...rest } = options;
  const out = rest as StackOptions;
  const port = options.port ?? 5060;
  out.udp = listener(options.udp, port);
  out.tcp = listener(options.tcp, port);
  // The classic Via host: publicAddress, then address, then hostname.
  const publicAddress = options.publicAddress ?? (unspecified(options.address) ? undefined : options.address);
  if (publicAddress !== undefined) out.publicAddress = publicAddress;
  else delete out.publicAddress;
  const tls = options.tls;
  if (tls !== undefined) {
    const client: NonNullable<TlsOptions['client']> = { ...(tls.ca !== undefined ? { ca: tls.ca } : {}), key: tls.key, cert: tls.cert, ...tls.client };
    if (tls.rejectUnauthorized !== undefined) client.rejectUnauthorized = tls.rejectUnauthorized;
    out.tls = {
      port: options.tls_port ?? tls.port ?? 5061,
      key: tls.key,
      cert: tls.cert,
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      ...(tls.requestCert !== undefined ? { requestCert: tls.requestCert } : {}),
      client,
    };
  } else {
    delete out.tls;
  }
  if (options.ws_port !== undefined && options.ws_port !== 0) {
    if (tls !== undefined) {
      const wss: WssOptions = { port: options.ws_port, key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) };
      out.wss = { ...wss, ...options.wss };
    } else {
      const ws: WsOptions = { port: options.ws_port };
      out.ws = { ...ws, ...options.ws };
    }
  }
  if (options.maxBytesHeaders !== undefined || options.maxContentLength !== undefined) {
    out.limits = {
      ...options.limits,
      ...(options.maxBytesHeaders !== undefined ? { maxHeaderBytes: options.maxBytesHeaders } : {}),
      ...(options.maxContentLength !== undefined ? { maxBodyBytes: options.maxContentLength } : {}),
    };
  }
  const logger = toLayerLogger(options.logger);
  if (logger !== undefined) out.logger = logger;
  const trace = toTraceHook(options.logger, options.trace);
  if (trace !== undefined) out.trace = trace;
  return out;
}
