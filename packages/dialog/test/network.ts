/**
 * An in-memory network for dialog tests: user agents on loopback addresses, every message
 * serialized and parsed again (so what is tested is what goes on the wire), delivered in a
 * microtask, recorded with the fake clock's time, and droppable by a predicate.
 */
import { parseMessage, serializeMessage, type SipMessage } from '@sipts/message';
import { createFakeClock, type FakeClock } from '@sipts/transaction';
import { promisePort, type Remote, type TransportHandlers, type TransportPort, type TransportProtocol } from '@sipts/transport';
import { createUserAgent, type UserAgent, type UserAgentOptions } from '../src/index.js';

/** One message on the wire. */
export interface Wire {
  at: number;
  from: string;
  to: string;
  /** `INVITE`, `ACK`… or the status as text. */
  label: string;
  message: SipMessage;
  dropped: boolean;
}

export interface Network {
  clock: FakeClock;
  log: Wire[];
  /** Return true to lose a message (it is still logged, as dropped). */
  drop: ((w: Wire) => boolean) | undefined;
  /** A transport port for `address:port`, and the function that binds its receiver. */
  endpoint(address: string, port: number, protocol?: TransportProtocol): { port: TransportPort; bind(handlers: TransportHandlers): void };
  /** A user agent on `address:port`. */
  ua(address: string, port: number, options?: Partial<UserAgentOptions>): UserAgent;
  /** Labels of the messages sent from `from` (all when omitted), in order. */
  labels(from?: string): string[];
  /** Times of the messages with `label` sent from `from`. */
  times(label: string, from?: string): number[];
}

function labelOf(m: SipMessage): string {
  return 'method' in m && typeof m.method === 'string' ? m.method : String((m).status);
}

/** Lets microtasks (deliveries, promise callbacks) run to quiescence. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

/** Advances the fake clock in steps, letting deliveries run after each fired timer. */
export async function advance(net: Network, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    net.clock.advance(Math.min(step, ms - t));
    await settle();
  }
}

export function createNetwork(): Network {
  const clock = createFakeClock();
  const receivers = new Map<string, TransportHandlers>();
  const net: Network = {
    clock,
    log: [],
    drop: undefined,
    endpoint(address, port, protocol = 'UDP') {
      const self = `${address}:${String(port)}`;
      const deliver = (m: SipMessage, to: string): void => {
        const bytes = serializeMessage(m);
        const w: Wire = { at: clock.now(), from: self, to, label: labelOf(m), message: parseMessage(bytes), dropped: false };
        w.dropped = net.drop?.(w) ?? false;
        net.log.push(w);
        if (w.dropped) return;
        const [addr = '', p = '0'] = to.split(/:(?=\d+$)/);
        const remote: Remote = { protocol, address, port, local: { address: addr, port: Number(p) } };
        queueMicrotask(() => {
          const h = receivers.get(to);
          const parsed = parseMessage(bytes);
          if (h === undefined) return;
          if ('method' in parsed && typeof parsed.method === 'string') h.onRequest(parsed, remote);
          else h.onResponse(parsed, remote);
        });
      };
      const port_: TransportPort = promisePort({
        sendRequest(rq, target) {
          const via = rq.headers.via?.[0];
          if (via !== undefined && via.host === '') {
            via.host = address;
            via.port = port;
            via.protocol = protocol;
          }
          deliver(rq, `${target.address}:${String(target.port)}`);
          return Promise.resolve({ protocol, address: target.address, port: target.port, local: { address, port } });
        },
        sendResponse(rs, remote) {
          const via = rs.headers.via?.[0];
          const to = remote !== undefined ? `${remote.address}:${String(remote.port)}` : `${via?.host ?? ''}:${String(via?.port ?? 5060)}`;
          deliver(rs, to);
          const [a = '', p = '0'] = to.split(/:(?=\d+$)/);
          return Promise.resolve({ protocol, address: a, port: Number(p), local: { address, port } });
        },
      });
      return {
        port: port_,
        bind(handlers) {
          receivers.set(self, handlers);
        },
      };
    },
    ua(address, port, options = {}) {
      const ep = net.endpoint(address, port);
      const ua = createUserAgent({ transport: ep.port, contact: `sip:ua@${address}:${String(port)}`, clock, ...options });
      ep.bind(ua.handlers);
      return ua;
    },
    labels: (from) => net.log.filter((w) => from === undefined || w.from === from).map((w) => w.label),
    times: (label, from) => net.log.filter((w) => w.label === label && (from === undefined || w.from === from)).map((w) => w.at),
  };
  return net;
}

/** Alice on 127.0.0.1:5061… and Bob on 127.0.0.2:5062, on one network. */
export function pair(options: { alice?: Partial<UserAgentOptions>; bob?: Partial<UserAgentOptions> } = {}) {
  const net = createNetwork();
  const alice = net.ua('127.0.0.1', 5061, options.alice);
  const bob = net.ua('127.0.0.2', 5062, options.bob);
  return { net, alice, bob, A: '127.0.0.1:5061', B: '127.0.0.2:5062', bobUri: 'sip:bob@127.0.0.2:5062', aliceUri: 'sip:alice@127.0.0.1:5061' };
}

export const OFFER = 'v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
export const ANSWER = 'v=0\r\no=bob 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';
