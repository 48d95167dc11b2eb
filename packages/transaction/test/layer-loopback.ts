/**
 * A loopback {@link TransportPort} for transaction-layer tests: it records what the layer sends
 * (as snapshots, since the layer keeps changing its own objects), stamps Vias the way a transport
 * does, and fails sends on request (a target, or a predicate).
 */
import { copyMessage, makeResponse, SipError, type SipRequest, type SipResponse } from '@sipts/message';
import { flowFailed, promisePort, type Logger, type Remote, type Target, type TransportPort } from '@sipts/transport';

/** Something the layer sent. */
export type Sent = { kind: 'request'; request: SipRequest; target: Target } | { kind: 'response'; response: SipResponse; remote: Remote | undefined };

/** The test side of the loopback. */
export interface Loopback {
  port: TransportPort;
  sent: Sent[];
  /** The requests sent, in order. */
  readonly requests: { request: SipRequest; target: Target }[];
  /** The responses sent, in order. */
  readonly responses: SipResponse[];
  /** Sends to these `address:port` targets fail (503, like a transport layer). */
  failTargets: Set<string>;
  /** Sends to targets with these flow ids fail as a closing flow does (`flow-failed`, 430). */
  failFlows: Set<string>;
  /** Every response send fails while true. */
  failResponses: boolean;
}

/** The local side a loopback claims to send from. */
export const LOCAL = { address: '127.0.0.1', port: 5060 };

/** A remote peer on UDP. */
export function udpRemote(address = '192.0.2.1', port = 5060): Remote {
  return { protocol: 'UDP', address, port, local: { ...LOCAL } };
}

/** A UDP target. */
export function udpTarget(address: string, port = 5060): Target {
  return { protocol: 'UDP', address, port };
}

/** Creates a loopback port. */
export function createLoopback(): Loopback {
  const lb: Loopback = {
    sent: [],
    failTargets: new Set(),
    failFlows: new Set(),
    failResponses: false,
    get requests() {
      return lb.sent.flatMap((s) => (s.kind === 'request' ? [{ request: s.request, target: s.target }] : []));
    },
    get responses() {
      return lb.sent.flatMap((s) => (s.kind === 'response' ? [s.response] : []));
    },
    port: promisePort({
      sendRequest(request, target) {
        if (target.flowId !== undefined && lb.failFlows.has(target.flowId)) return Promise.reject(flowFailed(target.flowId));
        if (lb.failTargets.has(`${target.address}:${String(target.port)}`)) {
          return Promise.reject(new SipError('send-failed', `cannot reach ${target.address}`, { status: 503 }));
        }
        const via = request.headers.via?.[0];
        if (via !== undefined) {
          via.protocol = target.protocol;
          if (via.host === '') {
            via.host = LOCAL.address;
            via.port = LOCAL.port;
          }
        }
        lb.sent.push({ kind: 'request', request: copyMessage(request, true), target });
        return Promise.resolve({ protocol: target.protocol, address: target.address, port: target.port, local: { ...LOCAL } });
      },
      sendResponse(response, remote) {
        if (lb.failResponses) return Promise.reject(new SipError('send-failed', 'no route', { status: 503 }));
        lb.sent.push({ kind: 'response', response: copyMessage(response, true), remote });
        return Promise.resolve(remote ?? udpRemote());
      },
    }),
  };
  return lb;
}

/** A response to a request the layer sent (as the peer would build it). */
export function answer(request: SipRequest, status: number, toTag = 'peer', extra?: Record<string, string>): SipResponse {
  return makeResponse(request, status, undefined, { toTag, ...(extra !== undefined ? { headers: extra } : {}) });
}

/** Lets promise callbacks (send results) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A logger that records what it is given. */
export function recordingLogger(): Logger & { lines: { level: string; msg: string; attrs?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; attrs?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (msg: string, attrs?: Record<string, unknown>): void => {
      lines.push(attrs === undefined ? { level, msg } : { level, msg, attrs });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
