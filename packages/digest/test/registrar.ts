/**
 * A registrar for the interop tests: createStack on 127.0.0.1 (UDP and TCP, ephemeral ports) with
 * createDigestServer in front of REGISTER. It records every verification outcome.
 * @see RFC 3261 §10.3, §22.4
 */
import { makeResponse, type SipRequest } from '@sipts/message';
import { createStack, type Stack } from '@sipts/transaction/node';
import { createDigestServer, type DigestAlgorithm, type DigestQop } from '../src/index.js';

/** What the registrar decided for one REGISTER. */
export interface Outcome {
  status: number;
  /** Why verification failed (undefined on success). */
  reason: string | undefined;
  algorithm: string | undefined;
  /** The Digest credentials the request carried, if any. */
  credentials: Record<string, string | undefined> | undefined;
}

/** A started registrar. */
export interface Registrar {
  readonly stack: Stack;
  readonly port: number;
  readonly outcomes: Outcome[];
  stop(): Promise<void>;
}

function randomTag(): string {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Starts a registrar for `users` (name → password) in realm `realm`. */
export async function startRegistrar(options: { users: Record<string, string>; realm?: string; algorithms?: DigestAlgorithm[]; qop?: DigestQop[] }): Promise<Registrar> {
  const stack = createStack({ address: '127.0.0.1', udp: { port: 0 }, tcp: { port: 0 } });
  const server = createDigestServer({
    realm: options.realm ?? 'sipts.test',
    algorithms: options.algorithms ?? ['MD5'],
    qop: options.qop ?? ['auth'],
  });
  const outcomes: Outcome[] = [];
  stack.setRequestHandler((rq: SipRequest, st) => {
    if (rq.method !== 'REGISTER') {
      void st.respond(makeResponse(rq, 405));
      return;
    }
    const v = server.verify(rq, (q) => {
      const password = options.users[q.username];
      return password === undefined ? undefined : { username: q.username, password };
    });
    const rs = v.ok
      ? server.sign(makeResponse(rq, 200, undefined, { toTag: randomTag(), headers: { ...(rq.headers.contact ? { contact: rq.headers.contact } : {}), expires: '60' } }), v)
      : server.reject(rq, v);
    if (rs.status !== 400) rs.headers.to!.params.tag ??= randomTag();
    outcomes.push({ status: rs.status, reason: v.ok ? undefined : v.reason, algorithm: v.ok ? v.algorithm : undefined, credentials: rq.headers.authorization?.[0] });
    void st.respond(rs);
  });
  await stack.start();
  const udp = stack.transport.listening.find((l) => l.protocol === 'UDP');
  if (udp === undefined) throw new Error('the registrar has no UDP listener');
  return { stack, port: udp.port, outcomes, stop: () => stack.stop() };
}
