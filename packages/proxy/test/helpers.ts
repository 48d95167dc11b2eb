/**
 * Test helpers: stacks and proxies on 127.0.0.1 with ephemeral ports and small timers, request
 * builders, and cleanup that checks no context, transaction or timer is left.
 */
import { makeResponse, type RouteEntry, type SipRequest, type SipResponse } from '@sipts/message';
import { createDefaultClock, type Clock, type ServerTransactionHandle } from '@sipts/transaction';
import { createStack, type Stack, type StackOptions } from '@sipts/transaction/node';
import { generateTag, type Remote } from '@sipts/transport';
import { expect } from 'vitest';
import { createProxyStack, type ProxyStackInstance, type ProxyStackOptions } from '../src/node/index.js';
import type { Proxy, ProxyRequestHandler } from '../src/index.js';

/** Small timers; note Timer D stays ≥ 32 s over UDP, so INVITEs with a non-2xx final run over TCP in the tests. */
export const TIMERS = { T1: 50, T2: 400, T4: 500 };

const stacks: { stack: Stack; clock: Clock }[] = [];
const proxies: { instance: ProxyStackInstance; clock: Clock }[] = [];

/** A started stack on 127.0.0.1 (UDP and TCP, ephemeral ports). */
export async function startStack(options: Partial<StackOptions> = {}): Promise<Stack> {
  const clock = createDefaultClock();
  const stack = createStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 }, timers: TIMERS, ...options, clock });
  stacks.push({ stack, clock });
  await stack.start();
  return stack;
}

/** A started proxy stack; `route` gets the proxy and each request. */
export async function startProxy(options: Partial<ProxyStackOptions>, route: (proxy: Proxy, rq: SipRequest, remote: Remote, removedRoute: readonly RouteEntry[]) => void): Promise<ProxyStackInstance> {
  const clock = createDefaultClock();
  const ref: { proxy?: Proxy } = {};
  const onRequest: ProxyRequestHandler = (rq, remote, removedRoute) => {
    if (ref.proxy !== undefined) route(ref.proxy, rq, remote, removedRoute);
  };
  const instance = createProxyStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 }, timers: TIMERS, ...options, clock }, onRequest);
  ref.proxy = instance.proxy;
  proxies.push({ instance, clock });
  await instance.start();
  return instance;
}

/** Waits until every proxy has no context and every stack no transaction, then stops all and checks timers. */
export async function drainAndStop(ms = 8000): Promise<void> {
  const ps = proxies.splice(0);
  const ss = stacks.splice(0);
  try {
    await until(() => ps.every((p) => p.instance.proxy.contexts === 0), ms, 'proxy contexts back to 0');
    await until(() => ps.every((p) => p.instance.stack.transactions === 0) && ss.every((s) => s.stack.transactions === 0), ms, `transactions back to 0 (proxies ${ps.map((p) => p.instance.stack.transactions).join(',')}, stacks ${ss.map((s) => s.stack.transactions).join(',')})`);
  } finally {
    await Promise.all([...ps.map((p) => p.instance.stop()), ...ss.map((s) => s.stack.stop())]);
  }
  for (const p of ps) expect(p.clock.pending).toBe(0);
  for (const s of ss) expect(s.clock.pending).toBe(0);
}

/** The port a stack listens on. */
export function portOf(stack: Stack, protocol: 'UDP' | 'TCP'): number {
  const l = stack.transport.listening.find((x) => x.protocol === protocol);
  if (l === undefined) throw new Error(`no ${protocol} listener`);
  return l.port;
}

/** A SIP URI that reaches `stack` over `protocol`. */
export function uriOf(stack: Stack, protocol: 'UDP' | 'TCP' = 'UDP', user = 'bob'): string {
  return `sip:${user}@127.0.0.1:${String(portOf(stack, protocol))}${protocol === 'TCP' ? ';transport=tcp' : ''}`;
}

let calls = 0;

/** A new out-of-dialog request to `uri`, sent through the proxy by a Route (loose routing). */
export function newRequest(method: string, uri: string, proxy?: Stack, protocol: 'UDP' | 'TCP' = 'UDP'): SipRequest {
  calls++;
  const rq: SipRequest = {
    method,
    uri,
    headers: {
      to: { uri, params: {} },
      from: { uri: 'sip:alice@127.0.0.1', params: { tag: generateTag() } },
      'call-id': `proxy-test-${String(calls)}-${generateTag()}`,
      cseq: { seq: 1, method },
      'max-forwards': '70',
      contact: [{ uri: 'sip:alice@127.0.0.1', params: {} }],
    },
    content: '',
  };
  if (proxy !== undefined) rq.headers.route = [{ uri: `${uriOf(proxy, protocol, '').replace('sip:@', 'sip:')};lr`, params: {} }];
  return rq;
}

/** An in-dialog request after a 2xx to `invite`: to its Contact, with the route set from Record-Route. */
export function inDialog(method: string, invite: SipRequest, ok: SipResponse, seq: number): SipRequest {
  const rq: SipRequest = {
    method,
    uri: ok.headers.contact?.[0]?.uri ?? invite.uri,
    headers: {
      to: ok.headers.to!,
      from: invite.headers.from!,
      'call-id': invite.headers['call-id']!,
      cseq: { seq, method },
      'max-forwards': '70',
    },
    content: '',
  };
  const rr = ok.headers['record-route'];
  if (rr !== undefined && rr.length > 0) rq.headers.route = rr.slice().reverse();
  return rq;
}

/** What a test UAS saw. */
export interface UasLog {
  requests: SipRequest[];
  acks: SipRequest[];
  cancels: SipRequest[];
  sts: ServerTransactionHandle[];
}

/** A UAS stack answering through `answer` (default: INVITE 180 then 200 with a Contact; others 200). */
export async function startUas(answer?: (rq: SipRequest, st: ServerTransactionHandle, stack: Stack) => void, protocol: 'UDP' | 'TCP' = 'UDP'): Promise<{ stack: Stack; log: UasLog }> {
  const log: UasLog = { requests: [], acks: [], cancels: [], sts: [] };
  const stack = await startStack({ onAck: (ack) => log.acks.push(ack) });
  stack.setRequestHandler((rq, st) => {
    log.requests.push(rq);
    log.sts.push(st);
    st.onCancel = (c) => log.cancels.push(c);
    if (answer !== undefined) {
      answer(rq, st, stack);
      return;
    }
    const toTag = generateTag();
    if (rq.method === 'INVITE') {
      void st.respond(makeResponse(rq, 180, undefined, { toTag }));
      const rr = rq.headers['record-route'];
      void st.respond(makeResponse(rq, 200, undefined, { toTag, headers: { contact: [{ uri: uriOf(stack, protocol), params: {} }], ...(rr !== undefined ? { 'record-route': rr } : {}) } }));
      return;
    }
    void st.respond(makeResponse(rq, 200, undefined, { toTag }));
  });
  return { stack, log };
}

/** Resolves when `cond()` holds (checked every 5 ms, at most `ms`). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The route callback of most tests: in-dialog requests and ACKs follow their Route / Request-URI; others go to `targets`. */
export function router(targets: () => string[], mode: 'parallel' | 'sequential' = 'parallel'): (proxy: Proxy, rq: SipRequest) => void {
  return (proxy, rq) => {
    const tag = rq.headers.to?.params.tag;
    if (rq.method === 'ACK' || (typeof tag === 'string' && tag !== '')) {
      proxy.send(rq);
      return;
    }
    proxy.send(rq, { targets: targets(), mode });
  };
}
