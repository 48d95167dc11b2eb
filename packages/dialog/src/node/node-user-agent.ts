/**
 * A {@link UserAgent} bound to Node transports: `createTransportLayer` below it, `createResolver`
 * (RFC 3263) for next hops, and a Contact built from the first bound listener unless one is given.
 * @see RFC 3261 §18, RFC 3263
 */
import { isIpv6 } from '@sipts/transport';
import { createResolver, createTransportLayer, type TransportLayer, type TransportOptions } from '@sipts/transport/node';
import { createUserAgent, type UserAgent, type UserAgentOptions } from '../user-agent.js';

/** Options of {@link createNodeUserAgent}: the transport's and the user agent's. */
export interface NodeUserAgentOptions extends TransportOptions, Omit<UserAgentOptions, 'transport' | 'contact' | 'logger'> {
  /** Default: `sip:<user>@<address>:<port>;transport=<first listener>` once bound. */
  contact?: string;
  /** The user part of the default Contact. Default `sipts`. */
  user?: string;
}

/** A user agent with its sockets. */
export interface NodeUserAgent {
  readonly ua: UserAgent;
  readonly transport: TransportLayer;
  /**
   * Binds the sockets.
   * @throws SipError `bind-failed`
   */
  start(): Promise<void>;
  /** Stops transactions, timers and sockets. */
  stop(): Promise<void>;
}

/**
 * Creates a user agent on Node sockets; nothing is bound until `start()`.
 * @example
 * const { ua, start } = createNodeUserAgent({ udp: { port: 5070 }, tcp: false, address: '127.0.0.1' });
 * await start();
 * ua.on('invite', (call) => void call.accept({ body: answer }));
 * @see RFC 3261 §18, RFC 3263
 */
export function createNodeUserAgent(options: NodeUserAgentOptions): NodeUserAgent {
  const transports: ('UDP' | 'TCP' | 'TLS' | 'WS' | 'WSS')[] = [];
  if (options.udp !== false) transports.push('UDP');
  if (options.tcp !== false) transports.push('TCP');
  if (options.tls !== undefined || options.tlsClient !== undefined) transports.push('TLS');
  if (options.ws !== undefined) transports.push('WS');
  if (options.wss !== undefined || options.tlsClient !== undefined) transports.push('WSS');
  const resolver = createResolver({ transports, ...(options.logger !== undefined ? { logger: options.logger } : {}) });
  const contact = (): string => {
    if (options.contact !== undefined) return options.contact;
    const l = transport.listening[0];
    if (l === undefined) return `sip:${options.user ?? 'sipts'}@127.0.0.1`;
    const host = isIpv6(l.address) ? `[${l.address}]` : l.address;
    const param = l.protocol === 'UDP' ? '' : `;transport=${l.protocol.toLowerCase()}`;
    return `sip:${options.user ?? 'sipts'}@${options.publicAddress ?? host}:${String(l.port)}${param}`;
  };
  const ua = createUserAgent({
    ...options,
    transport: {
      sendRequest: (rq, target, listener) => transport.port.sendRequest(rq, target, listener),
      prepareResponse: (rs, remote) => transport.port.prepareResponse(rs, remote),
      sendResponse: (prepared, listener) => transport.port.sendResponse(prepared, listener),
    },
    contact,
    resolve: options.resolve ?? ((uri) => resolver.resolve(uri)),
  });
  const transport = createTransportLayer(options, ua.handlers);
  return {
    ua,
    transport,
    start: () => transport.start(),
    async stop() {
      ua.stop();
      await transport.stop();
    },
  };
}
