/**
 * One connection-oriented flow (TCP, TLS, WS, WSS), as the transport layer's connection pool
 * sees it. TCP/TLS connections frame the byte stream themselves (RFC 3261 §18.3); WebSocket
 * connections deliver one message per frame (RFC 7118 §5). Either way the pool only gets whole
 * messages' bytes.
 */
import type { Remote, TransportProtocol } from '../types.js';

/** A live connection. */
export interface Connection {
  readonly protocol: Exclude<TransportProtocol, 'UDP'>;
  /** Peer and local addresses; `remote.flowId` is unique per connection for the process. */
  readonly remote: Remote;
  /** True when we opened it (client side). */
  readonly outbound: boolean;
  /** False once the connection is closing or closed (writes then fail): the flow has failed. */
  readonly open: boolean;
  /**
   * Writes one serialized message (stream: appended bytes; WebSocket: one frame).
   * @throws SipError `send-failed` (status 503) when the connection is closed or its write buffer is full
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the connection; `onClose` follows. Idempotent. */
  close(): void;
}

/** What a connection reports to its owner. Implementations never throw out of these calls. */
export interface ConnectionEvents {
  /** The bytes of one whole message (not yet parsed). */
  onFrame(conn: Connection, frame: Uint8Array): void;
  /** A framing error or limit broke the stream; the connection closes after this. */
  onFramingError?(conn: Connection, error: Error): void;
  /** The connection closed (by either side, or by an error). Called exactly once. */
  onClose(conn: Connection, error?: Error): void;
}

let nextFlow = 1;

/** A process-unique flow id: `<protocol>/<n>/<remote address>/<remote port>`. */
export function newFlowId(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol}/${String(nextFlow++)}/${address}/${String(port)}`;
}
