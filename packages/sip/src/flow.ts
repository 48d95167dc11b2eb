/**
 * Flow tokens (RFC 5626 §5.2): a URI whose user part names one connection (protocol, addresses,
 * the transport's flow id), protected by an HMAC with a key of this stack instance, so that a
 * peer cannot make us send over a flow it did not come in on.
 * @see RFC 5626 §5.2
 */
import { randomBytes } from 'node:crypto';
import { isSipUri, parseUri, type SipUri, type Uri } from '@sipts/message';
import { createFlowTokenCodec } from '@sipts/transport/node';
import type { Remote, Target, TransportProtocol } from './layers.js';

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

/**
 * A flow codec with a fresh random key.
 * @example const flows = createFlowCodec(); const uri = flows.encode(remote, 'proxy.example.com')
 */
export function createFlowCodec(): FlowCodec {
  const tokens = createFlowTokenCodec({ key: randomBytes(32) });
  return {
    encode(flow, host) {
      const protocol = flow.protocol.toUpperCase() as TransportProtocol;
      const token = tokens.encode({ protocol, address: flow.address, port: flow.port, local: flow.local, ...(flow.flowId === undefined ? {} : { flowId: flow.flowId }) });
      return { schema: protocol === 'TLS' || protocol === 'WSS' ? 'sips' : 'sip', user: token, host, params: {}, headers: {} };
    },
    decode(uri, isMe) {
      const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
      if (parsed === undefined || !isSipUri(parsed) || parsed.user === undefined || !isMe(parsed)) return undefined;
      const flow = tokens.decode(parsed.user);
      if (flow?.local === undefined) return undefined;
      const remote: Remote = { protocol: flow.protocol, address: flow.address, port: flow.port, local: flow.local };
      if (flow.flowId !== undefined) remote.flowId = flow.flowId;
      return remote;
    },
  };
}
