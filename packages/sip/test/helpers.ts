/**
 * Test helpers: classic requests, facade stacks on loopback, collected callbacks.
 */
import type { SipRequest, SipResponse } from '@sipts/message';
import { create, type ClassicInstance, type ClassicOptions, type RequestHandler } from '../src/index.js';

let seq = 0;

/** A classic-shaped request to `uri` (no Via: the facade adds it). */
export function request(method: string, uri: string, extra: Partial<SipRequest['headers']> = {}): SipRequest {
  seq++;
  return {
    method,
    uri,
    headers: {
      to: { uri: 'sip:bob@example.com', params: {} },
      from: { uri: 'sip:alice@example.com', params: { tag: `t${String(seq)}` } },
      'call-id': `call-${String(seq)}-${String(Date.now())}`,
      cseq: { method, seq: 1 },
      ...extra,
    },
    content: '',
  };
}

/** A facade stack on 127.0.0.1 with an ephemeral port (UDP, and TCP unless switched off). */
export async function stackOn(onRequest: RequestHandler, options: ClassicOptions = {}): Promise<ClassicInstance & { port: number; tcpPort: number | undefined }> {
  const inst = create({ address: '127.0.0.1', port: 0, ...options }, onRequest);
  await inst.ready;
  const listening = inst.stack.transport.listening;
  const udp = listening.find((l) => l.protocol === 'UDP');
  const tcp = listening.find((l) => l.protocol === 'TCP');
  return Object.assign(inst, { port: udp?.port ?? tcp?.port ?? 0, tcpPort: tcp?.port });
}

/** Sends and collects every response until a final one; resolves with all of them. */
export function sendAndCollect(inst: ClassicInstance, rq: SipRequest): Promise<SipResponse[]> {
  return new Promise((resolve) => {
    const seen: SipResponse[] = [];
    inst.send(rq, (rs) => {
      seen.push(rs);
      if (rs.status >= 200) resolve(seen);
    });
  });
}
