/**
 * The keep-alives a transport layer sends on its flows (RFC 5626 §4.4): one {@link KeepAlive} per
 * connection (CRLF) or UDP flow (STUN), the pongs and STUN answers routed to it, and a flow that
 * fails reported once through `onFlowFailed` (its connection is then closed).
 * @see RFC 5626 §4.4.1, §4.4.2, §4.2
 */
import { createKeepAlive, type FlowFailureReason, type KeepAlive, type KeepAliveSettings } from '../keepalive.js';
import { safely } from '../safely.js';
import type { StunMessage } from '../stun.js';
import type { Logger, Remote, TransportStats } from '../types.js';
import type { Connection } from './connection.js';

/** What {@link createFlowKeepAlives} needs. */
export interface FlowKeepAlivesOptions {
  settings: KeepAliveSettings;
  logger: Logger;
  /** `keepAlivesSent` is counted here. */
  stats: TransportStats;
  /** At most this many flows with keep-alives (a started flow beyond it is refused). */
  maxFlows: number;
  onFlowFailed(remote: Remote, reason: FlowFailureReason): void;
}

/** A UDP flow: where the server is, and how to send to it from our socket. */
export interface UdpFlow {
  remote: Remote;
  send(bytes: Uint8Array): Promise<void>;
}

/** The keep-alives of one transport layer. */
export interface FlowKeepAlives {
  /** Starts keep-alives on a connection, or gives its running ones a new Flow-Timer (when given). */
  onConnection(conn: Connection, flowTimerSeconds?: number): KeepAlive | undefined;
  /** Starts (or re-tunes) STUN keep-alives on a UDP flow. */
  onUdp(flow: UdpFlow, flowTimerSeconds?: number): KeepAlive | undefined;
  /** A CRLF pong arrived on connection `flowId`. */
  pong(flowId: string): void;
  /** A STUN response arrived from `remote` over UDP; true when one of our flows took it. */
  stun(message: StunMessage, remote: Remote): boolean;
  /** A connection closed: its keep-alives end and the flow is reported failed. */
  closed(flowId: string): void;
  /** The keep-alive of a flow key (`flowId`, or `UDP/<address>/<port>`). */
  get(key: string): KeepAlive | undefined;
  readonly size: number;
  /** Stops every keep-alive without reporting. */
  stopAll(): void;
}

/**
 * A WebSocket frame of only CRLFs: a keep-alive ping (CRLFCRLF) or pong (CRLF), RFC 5626 §4.4.1 as
 * RFC 7118 §6 keeps it; undefined for anything else.
 */
export function crlfKeepAlive(frame: Uint8Array): 'ping' | 'pong' | undefined {
  if (frame.length === 4 && frame[0] === 0x0d && frame[1] === 0x0a && frame[2] === 0x0d && frame[3] === 0x0a) return 'ping';
  if (frame.length === 2 && frame[0] === 0x0d && frame[1] === 0x0a) return 'pong';
  return undefined;
}

/** The key of a UDP flow. */
export function udpFlowKey(address: string, port: number): string {
  return `UDP/${address}/${String(port)}`;
}

/** One flow to keep alive: its table key, its peer, CRLF (streams) or STUN (UDP), how to send and close. */
interface KeptFlow {
  readonly key: string;
  readonly remote: Remote;
  readonly kind: 'crlf' | 'stun';
  readonly send: (bytes: Uint8Array) => Promise<void>;
  /** Closes the flow's connection when its keep-alives fail (streams only). */
  readonly close?: () => void;
}

/**
 * Creates the keep-alive table of one transport layer.
 * @example const kas = createFlowKeepAlives({ settings: {}, logger, maxFlows: 10_000, onFlowFailed })
 * @see RFC 5626 §4.4
 */
export function createFlowKeepAlives(options: FlowKeepAlivesOptions): FlowKeepAlives {
  const { settings, logger, stats } = options;
  const flows = new Map<string, KeepAlive>();

  function start(flow: KeptFlow, flowTimer: number | undefined): KeepAlive | undefined {
    const { key, remote, kind, send, close } = flow;
    const existing = flows.get(key);
    if (existing !== undefined) {
      // Asked again with a Flow-Timer (a registration's 2xx): retune; without one: leave it be.
      if (flowTimer !== undefined) existing.setFlowTimer(flowTimer);
      return existing;
    }
    if (flows.size >= options.maxFlows) {
      logger.warn('keep-alive not started: too many flows', { flow: key, max: options.maxFlows });
      return undefined;
    }
    const ka = createKeepAlive({
      ...settings,
      kind,
      send: (bytes) => {
        stats.keepAlivesSent++;
        return send(bytes);
      },
      ...(flowTimer !== undefined ? { flowTimerSeconds: flowTimer } : {}),
      onFailure(reason) {
        flows.delete(key);
        logger.info('flow failed', { flow: key, reason });
        safely(logger, 'onFlowFailed', () => {
          options.onFlowFailed(remote, reason);
        });
        close?.();
      },
    });
    flows.set(key, ka);
    logger.debug('keep-alives started', { flow: key, kind, flowTimer });
    return ka;
  }

  return {
    onConnection(conn, flowTimerSeconds) {
      const flowId = conn.remote.flowId;
      if (flowId === undefined || !conn.open) return undefined;
      const close = (): void => {
        conn.close();
      };
      return start({ key: flowId, remote: conn.remote, kind: 'crlf', send: (b) => conn.write(b), close }, flowTimerSeconds);
    },
    onUdp(flow, flowTimerSeconds) {
      return start({ key: udpFlowKey(flow.remote.address, flow.remote.port), remote: flow.remote, kind: 'stun', send: (b) => flow.send(b) }, flowTimerSeconds);
    },
    pong(flowId) {
      flows.get(flowId)?.pong();
    },
    stun(message, remote) {
      return flows.get(udpFlowKey(remote.address, remote.port))?.stunMessage(message) ?? false;
    },
    closed(flowId) {
      flows.get(flowId)?.fail('connection-closed');
    },
    get(key) {
      return flows.get(key);
    },
    get size() {
      return flows.size;
    },
    stopAll() {
      for (const ka of flows.values()) ka.stop();
      flows.clear();
    },
  };
}
