/**
 * Flow tokens (RFC 5626 §5.2): a URI whose user part names one connection (protocol, addresses,
 * the transport's flow id), protected by an HMAC with a key of this stack instance, so that a
 * peer cannot make us send over a flow it did not come in on.
 * @see RFC 5626 §5.2
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isSipUri, parseUri, type SipUri, type Uri } from '@sipts/message';
import type { Remote, Target, TransportProtocol } from './layers.js';

const PROTOCOLS: readonly TransportProtocol[] = ['UDP', 'TCP', 'TLS', 'WS', 'WSS'];
const MAC_BYTES = 16;

/** A flow: where a request came from (the `remote` of `onRequest`). */
export interface Flow {
  protocol: TransportProtocol | Lowercase<TransportProtocol>;
  address: string;
  port: number;
  local: { address: string; port: number };
  /** The transport's id of the connection (stream transports). */
  flowId?: string;
}

/** Encodes and decodes the flow URIs of one stack instance. */
export interface FlowCodec {
  encode(flow: Flow, host: string): SipUri;
  /** The flow named by `uri` when its host is `host` and its token verifies, else `undefined`. */
  decode(uri: string | Uri | undefined, isMe: (uri: SipUri) => boolean): Remote | undefined;
}

/**
 * The target that sends over `flow` again: its protocol and address, and its connection
 * (`flowId`) on stream transports (RFC 5626 §5.3).
 * @example stack.send(rq, { target: targetOfFlow(remote) })
 */
export function targetOfFlow(flow: Remote): Target {
  const t: Target = { protocol: flow.protocol, address: flow.address, port: flow.port };
  if (flow.flowId !== undefined) t.flowId = flow.flowId;
  return t;
}

function mac(key: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
}

/**
 * A flow codec with a fresh random key.
 * @example const flows = createFlowCodec(); const uri = flows.encode(remote, 'proxy.example.com')
 */
export function createFlowCodec(): FlowCodec {
  const key = randomBytes(32);
  return {
    encode(flow, host) {
      const protocol = flow.protocol.toUpperCase() as TransportProtocol;
      const fields = [protocol, flow.address, String(flow.port), flow.local.address, String(flow.local.port), flow.flowId ?? ''];
      const payload = Buffer.from(fields.join(','), 'utf8');
      const token = Buffer.concat([mac(key, payload), payload]).toString('base64url');
      return { schema: protocol === 'TLS' || protocol === 'WSS' ? 'sips' : 'sip', user: token, host, params: {}, headers: {} };
    },
    decode(uri, isMe) {
      const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
      if (parsed === undefined || !isSipUri(parsed) || parsed.user === undefined || !isMe(parsed)) return undefined;
      let raw: Buffer;
      try {
        raw = Buffer.from(parsed.user, 'base64url');
      } catch {
        return undefined;
      }
      if (raw.length <= MAC_BYTES) return undefined;
      const payload = raw.subarray(MAC_BYTES);
      if (!timingSafeEqual(raw.subarray(0, MAC_BYTES), mac(key, payload))) return undefined;
      const [protocol, address, port, localAddress, localPort, flowId] = payload.toString('utf8').split(',');
      if (protocol === undefined || !PROTOCOLS.includes(protocol as TransportProtocol) || address === undefined || localAddress === undefined) return undefined;
      const remote: Remote = { protocol: protocol as TransportProtocol, address, port: Number(port), local: { address: localAddress, port: Number(localPort) } };
      if (flowId !== undefined && flowId !== '') remote.flowId = flowId;
      return remote;
    },
  };
}
