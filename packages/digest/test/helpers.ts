/**
 * Helpers for the digest tests: request builders, a wire round trip (serialize, then parse) so
 * that every header the package writes is read back as a peer would read it, and a fake clock.
 */
import { isRequest, parseMessage, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from '@sipts/message';

let calls = 0;

/** A REGISTER (or other request) from alice. */
export function newRequest(method = 'REGISTER', uri = 'sip:example.com', content: string | Uint8Array = ''): SipRequest {
  calls++;
  return {
    method,
    uri,
    version: '2.0',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '192.0.2.1', port: 5060, params: { branch: `z9hG4bK-test-${String(calls)}` } }],
      to: { uri: 'sip:alice@example.com', params: {} },
      from: { uri: 'sip:alice@example.com', params: { tag: `tag${String(calls)}` } },
      'call-id': `call-${String(calls)}@192.0.2.1`,
      cseq: { seq: 1, method },
      'max-forwards': '70',
      contact: [{ uri: 'sip:alice@192.0.2.1:5060', params: {} }],
    },
    content,
  };
}

/** The message after a trip over the wire: serialized to bytes and parsed again. */
export function wire<M extends SipMessage>(m: M): M {
  const back = parseMessage(serializeMessage(m));
  if (isRequest(m) !== isRequest(back)) throw new Error('the message changed kind on the wire');
  return back as M;
}

/** A request over the wire. */
export function wireRq(m: SipRequest): SipRequest {
  return wire(m);
}

/** A response over the wire. */
export function wireRs(m: SipResponse): SipResponse {
  return wire(m);
}

/** A clock the test moves by hand. */
export function fakeNow(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** The JSON round trip a session goes through when it is stored in a database. */
export function viaJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
