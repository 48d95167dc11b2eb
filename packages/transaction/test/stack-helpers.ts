/**
 * Helpers for the stack tests: stacks on loopback with ephemeral ports and their own timer-heap
 * clocks (the default kind), request builders, and cleanup that checks no transaction or timer is left.
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import { generateTag, type Target } from '@sipts/transport';
import { expect } from 'vitest';
import type { Clock } from '../src/clock.js';
import { createStack, type Stack, type StackOptions } from '../src/node/index.js';
import { createDefaultClock } from '../src/timer-heap.js';

const started: { stack: Stack; clock: Clock }[] = [];

/** A started stack on 127.0.0.1 (UDP and TCP on ephemeral ports), stopped by {@link stopAll}. */
export async function startStack(options: Partial<StackOptions> = {}): Promise<{ stack: Stack; clock: Clock }> {
  const clock = options.clock ?? createDefaultClock();
  const stack = createStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 }, ...options, clock });
  started.push({ stack, clock });
  await stack.start();
  return { stack, clock };
}

/** Stops every stack started by the test and checks that nothing is left: no transaction, no timer. */
export async function stopAll(): Promise<void> {
  const all = started.splice(0);
  await Promise.all(all.map(({ stack }) => stack.stop()));
  for (const { stack, clock } of all) {
    expect(stack.transactions).toBe(0);
    expect(clock.pending).toBe(0);
  }
}

/** The port a stack listens on. */
export function portOf(stack: Stack, protocol: 'UDP' | 'TCP'): number {
  const l = stack.transport.listening.find((x) => x.protocol === protocol);
  if (l === undefined) throw new Error(`no ${protocol} listener`);
  return l.port;
}

/** The target of a stack's listener. */
export function targetOf(stack: Stack, protocol: 'UDP' | 'TCP'): Target {
  return { protocol, address: '127.0.0.1', port: portOf(stack, protocol) };
}

/** A SIP URI that reaches `stack` over `protocol`. */
export function uriOf(stack: Stack, protocol: 'UDP' | 'TCP', user = 'bob'): string {
  return `sip:${user}@127.0.0.1:${String(portOf(stack, protocol))}${protocol === 'TCP' ? ';transport=tcp' : ''}`;
}

let calls = 0;

/** A new out-of-dialog request to `uri`. */
export function newRequest(method: string, uri: string, seq = 1): SipRequest {
  calls++;
  return {
    method,
    uri,
    headers: {
      to: { uri, params: {} },
      from: { uri: 'sip:alice@127.0.0.1', params: { tag: generateTag() } },
      'call-id': `stack-test-${String(calls)}-${generateTag()}`,
      cseq: { seq, method },
      'max-forwards': '70',
      contact: [{ uri: 'sip:alice@127.0.0.1', params: {} }],
    },
    content: '',
  };
}

/** An in-dialog request (ACK, BYE) after a 2xx to `invite`: to its Contact, with its To tag. */
export function inDialog(method: string, invite: SipRequest, ok: SipResponse, seq: number): SipRequest {
  const contact = ok.headers.contact?.[0]?.uri;
  return {
    method,
    uri: contact ?? invite.uri,
    headers: {
      to: ok.headers.to!,
      from: invite.headers.from!,
      'call-id': invite.headers['call-id']!,
      cseq: { seq, method },
      'max-forwards': '70',
    },
    content: '',
  };
}

/** Resolves when `cond()` holds (checked every 5 ms, at most `ms`). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
