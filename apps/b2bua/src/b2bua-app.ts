/**
 * The example B2BUA: every INVITE that arrives is bridged by `createB2BUA` to the target, with the
 * Request-URI's user kept (`sip:bob@us` → `sip:bob@target`). Counts what it did.
 */
import { createB2BUA } from '@sipts/dialog';
import { createNodeUserAgent, type NodeUserAgent } from '@sipts/dialog/node';
import { isSipUri, parseUri } from '@sipts/message';

/** Options of {@link startB2BUAApp}. */
export interface B2BUAAppOptions {
  address: string;
  port: number;
  protocol: 'udp' | 'tcp';
  /** Where calls go: `host:port` (the caller's user part is kept). */
  target: string;
  timers?: { T1: number; T2: number; T4: number };
}

/** A running B2BUA. */
export interface B2BUAApp {
  readonly node: NodeUserAgent;
  readonly stats: { calls: number; bridged: number; failed: number; ended: number };
  stop(): Promise<void>;
}

/** Starts the B2BUA; resolves once its socket is bound. */
export async function startB2BUAApp(options: B2BUAAppOptions): Promise<B2BUAApp> {
  const node = createNodeUserAgent({
    address: options.address,
    // A busy B2BUA takes two legs of traffic: the default receive buffer (~200 KiB) overflows in a GC pause.
    udp: options.protocol === 'udp' ? { port: options.port, receiveBufferBytes: 4 * 1024 * 1024 } : false,
    tcp: options.protocol === 'tcp' ? { port: options.port } : false,
    user: 'b2bua',
    ...(options.timers !== undefined ? { timers: options.timers } : {}),
  });
  const stats = { calls: 0, bridged: 0, failed: 0, ended: 0 };
  const transport = options.protocol === 'tcp' ? ';transport=tcp' : '';
  node.ua.on('invite', (call) => {
    stats.calls++;
    const uri = parseUri(call.request.uri);
    const user = isSipUri(uri) && uri.user !== undefined ? `${uri.user}@` : '';
    createB2BUA(call, `sip:${user}${options.target}${transport}`)
      .then(async (legs) => {
        stats.bridged++;
        await legs.ended;
        stats.ended++;
      })
      .catch(() => {
        stats.failed++;
      });
  });
  await node.start();
  return { node, stats, stop: () => node.stop() };
}
