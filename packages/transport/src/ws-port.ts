/**
 * A {@link TransportPort} over a WebSocket client transport (RFC 7118): every request and
 * response goes to the one server the socket is open to, and every request's top Via names the
 * WebSocket transport and this user agent's `.invalid` host.
 * @see RFC 7118 §5 (Via transport `WS`/`WSS`, sent-by with a `.invalid` domain), RFC 3581 §3
 */
import type { SipRequest } from '@sipts/message';
import { promisePort, type TransportPort } from './port.js';
import type { Remote, Target } from './types.js';
import type { WsTransport } from './ws-client.js';

/**
 * The server end of a WebSocket URL, as a transaction target.
 * @throws TypeError when `url` is not a URL
 * @example wsTarget('wss://sip.example.com/ws') // { protocol: 'WSS', address: 'sip.example.com', port: 443, host: 'sip.example.com', path: '/ws' }
 */
export function wsTarget(url: string): Target {
  const u = new URL(url);
  const protocol = u.protocol === 'wss:' ? 'WSS' : 'WS';
  const address = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port === '' ? (protocol === 'WSS' ? 443 : 80) : Number(u.port);
  return { protocol, address, port, host: address, path: u.pathname === '' ? '/' : u.pathname };
}

/**
 * Stamps the top Via of `request` with `protocol` and `host` (no port: RFC 7118 §5 leaves the
 * sent-by of a WebSocket client meaningless), keeping its branch, and asks for `rport`.
 * @example stampWsVia(rq, 'WSS', 'k3x7.invalid') // Via: SIP/2.0/WSS k3x7.invalid;branch=…;rport
 * @see RFC 7118 §5, RFC 3581 §3
 */
export function stampWsVia(request: SipRequest, protocol: 'WS' | 'WSS', host: string): void {
  const via = request.headers.via;
  const top = via?.[0];
  if (via === undefined || top === undefined) return;
  via[0] = { ...top, version: '2.0', protocol, host, port: undefined, params: { ...top.params, rport: top.params.rport ?? null } };
}

/**
 * A {@link TransportPort} sending through `transport` (targets are ignored: there is one server).
 * @example createTransactionLayer({ transport: createWsPort(ws, url, 'k3x7.invalid'), onServerTransaction })
 * @see RFC 7118 §5
 */
export function createWsPort(transport: Pick<WsTransport, 'send'>, url: string, viaHost: string): TransportPort {
  const target = wsTarget(url);
  const protocol = target.protocol === 'WSS' ? 'WSS' : 'WS';
  const remote: Remote = { protocol, address: target.address, port: target.port, local: { address: '0.0.0.0', port: 0 } };
  return promisePort({
    async sendRequest(request) {
      stampWsVia(request, protocol, viaHost);
      await transport.send(request);
      return remote;
    },
    async sendResponse(response, to) {
      await transport.send(response);
      return to ?? remote;
    },
  });
}
