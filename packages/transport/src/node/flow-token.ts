/**
 * Flow tokens (RFC 5626 §5.2): an opaque string that names one flow (protocol, remote address and
 * port, the connection's id, optionally the local address), signed with an HMAC-SHA-256 key so
 * that a peer can neither forge one nor point one elsewhere. A proxy puts the token in the user
 * part of a Path or Record-Route URI and, when a request comes back with it, sends over exactly
 * that flow. One codec for every user of flow tokens (the classic facade's flow URIs, the server's
 * Routes), so the format and its checks exist once.
 *
 * Format: `base64url(fields joined by '|') '.' base64url(first 12 bytes of HMAC-SHA-256(key, that
 * base64url text))`, fields `protocol|address|port|flowId` and, with a local address,
 * `|localAddress|localPort`.
 * @see RFC 5626 §5.2, §5.3
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TransportProtocol } from '../types.js';

const PROTOCOLS: readonly TransportProtocol[] = ['UDP', 'TCP', 'TLS', 'WS', 'WSS'];
/** 96 bits of tag: forging one is out of reach, and the token stays short enough for a URI user part. */
const MAC_BYTES = 12;
/** A token longer than this is refused before any work (a fair one is under 200 characters). */
const MAX_TOKEN = 512;

/** What a flow token names. */
export interface FlowTokenFlow {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** The transport's id of the connection (stream transports); absent for UDP. */
  flowId?: string;
  /** The local address the flow arrived on, when the user of the token needs it. */
  local?: { address: string; port: number };
}

/** Signs and checks the flow tokens of one key. */
export interface FlowTokenCodec {
  /** The token for `flow`. */
  encode(flow: FlowTokenFlow): string;
  /** The flow a token names; `undefined` for anything this key did not sign, or that is malformed. */
  decode(token: string): FlowTokenFlow | undefined;
}

const isPort = (text: string | undefined): text is string => text !== undefined && /^\d{1,5}$/.test(text) && Number(text) <= 65_535;
const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/**
 * A codec keyed by `key` (instances that share the key accept each other's tokens).
 * @example
 * const flows = createFlowTokenCodec({ key: randomBytes(32) });
 * flows.decode(flows.encode({ protocol: 'TCP', address: '192.0.2.1', port: 5060, flowId: 'c1' }));
 * @see RFC 5626 §5.2
 */
export function createFlowTokenCodec(options: { key: Uint8Array }): FlowTokenCodec {
  const key = Buffer.from(options.key);
  const mac = (payload: string): Buffer => createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
  return {
    encode(flow) {
      const fields = [flow.protocol, flow.address, String(flow.port), flow.flowId ?? ''];
      if (flow.local !== undefined) fields.push(flow.local.address, String(flow.local.port));
      const payload = b64url(fields.join('|'));
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    decode(token) {
      const dot = token.indexOf('.');
      if (dot <= 0 || token.length > MAX_TOKEN) return undefined;
      const payload = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const fields = Buffer.from(payload, 'base64url').toString('utf8').split('|');
      const [protocol, address, port, flowId, localAddress, localPort] = fields;
      const p = PROTOCOLS.find((x) => x === protocol);
      if (p === undefined || address === undefined || address === '' || !isPort(port) || (fields.length !== 4 && fields.length !== 6)) return undefined;
      const flow: FlowTokenFlow = { protocol: p, address, port: Number(port) };
      if (flowId !== undefined && flowId !== '') flow.flowId = flowId;
      if (fields.length === 6) {
        if (localAddress === undefined || localAddress === '' || !isPort(localPort)) return undefined;
        flow.local = { address: localAddress, port: Number(localPort) };
      }
      return flow;
    },
  };
}
