/**
 * Sends requests through the transaction layer and answers digest challenges: one request in,
 * one final response out, with 401/407 answered by the password (RFC 3261 §22.2, §22.3). It
 * answers with SHA-256 or MD5, whichever the server's challenge list offers first.
 * @see RFC 3261 §22.2, §22.3; RFC 7616 §3.7; RFC 8760 §2.4
 */
import { createDigestClient, readChallenge, type DigestAlgorithm, type DigestClient } from '@sipts/digest';
import { SipError, type AuthHeader, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote, Target } from '@sipts/transport';
import { synthesize, type OutgoingRequest, type TransactionLayer } from '@sipts/transaction';
import { ClientError } from './errors.js';

/** The algorithms this client answers, in no particular order (the server's order decides). */
export const CLIENT_ALGORITHMS: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'];

/** A final response and where it came from (`remote` undefined: synthesized by the layer). */
export interface Outcome {
  response: SipResponse;
  remote: Remote | undefined;
  /** The request that got `response` (after authentication, the signed copy). */
  request: SipRequest;
}

/**
 * The first Digest challenge in `rs` (Proxy-Authenticate for a 407, else WWW-Authenticate) whose
 * algorithm is in `supported`: the server lists them in its order of preference.
 * @see RFC 8760 §2.4 (one challenge per algorithm, preferred first)
 */
export function firstSupportedAlgorithm(rs: SipResponse, supported: readonly DigestAlgorithm[] = CLIENT_ALGORITHMS): DigestAlgorithm | undefined {
  const list: AuthHeader[] = (rs.status === 407 ? rs.headers['proxy-authenticate'] : rs.headers['www-authenticate']) ?? [];
  for (const h of list) {
    const c = readChallenge(h);
    if (c !== undefined && supported.includes(c.algorithm)) return c.algorithm;
  }
  return undefined;
}

/** Sends requests for one user; see the file comment. */
export class Sender {
  readonly #layer: TransactionLayer;
  readonly #target: Target;
  readonly #credentials: { username: string; password: string };
  readonly #clients = new Map<DigestAlgorithm, DigestClient>();
  readonly #inFlight = new Set<{ tx: OutgoingRequest | undefined; settle: () => void }>();

  constructor(layer: TransactionLayer, target: Target, credentials: { username: string; password: string }) {
    this.#layer = layer;
    this.#target = target;
    this.#credentials = credentials;
  }

  /** Sends `request` once; resolves with its final response (a synthesized 503 if it cannot be sent). */
  once(request: SipRequest): Promise<Outcome> {
    return new Promise((resolve) => {
      let done = false;
      const entry: { tx: OutgoingRequest | undefined; settle: () => void } = {
        tx: undefined,
        settle: () => {
          finish(synthesize(request, 503), undefined);
        },
      };
      const finish = (response: SipResponse, remote: Remote | undefined): void => {
        if (done) return;
        done = true;
        this.#inFlight.delete(entry);
        resolve({ response, remote, request });
      };
      this.#inFlight.add(entry);
      try {
        entry.tx = this.#layer.sendRequest(request, [this.#target], {
          onResponse: (rs, remote) => {
            if (rs.status >= 200) finish(rs, remote);
          },
          onTerminated: () => {
            finish(synthesize(request, 503), undefined);
          },
        });
      } catch (_e) {
        finish(synthesize(request, 503), undefined);
      }
    });
  }

  /**
   * Sends `request`, answering up to `maxChallenges` 401/407 challenges. `beforeRetry` may adjust
   * the request (e.g. its Contact) before it is signed again.
   * @throws ClientError `wrong-password` when the server rejects the credentials; `rejected` when
   *   it offers no challenge this client can answer
   */
  async send(request: SipRequest, beforeRetry?: (request: SipRequest, challenge: SipResponse) => void, maxChallenges = 3): Promise<Outcome> {
    let outcome = await this.once(request);
    for (let n = 0; n < maxChallenges; n++) {
      const rs = outcome.response;
      if ((rs.status !== 401 && rs.status !== 407) || outcome.remote === undefined) return outcome;
      beforeRetry?.(outcome.request, rs);
      const next = this.#authorize(outcome.request, rs);
      outcome = await this.once(next);
    }
    return outcome;
  }

  /** Ends every request in flight now with a synthesized 503 (the socket they were sent on is gone). */
  abortAll(): void {
    for (const entry of [...this.#inFlight]) {
      entry.tx?.terminate();
      entry.settle();
    }
  }

  #authorize(request: SipRequest, challenge: SipResponse): SipRequest {
    const algorithm = firstSupportedAlgorithm(challenge);
    if (algorithm === undefined) {
      throw new ClientError('rejected', 'The server asks for a sign-in method this page does not support (it needs SHA-256 or MD5 digest).', { status: challenge.status });
    }
    let client = this.#clients.get(algorithm);
    if (client === undefined) {
      client = createDigestClient({ ...this.#credentials, algorithms: [algorithm] });
      this.#clients.set(algorithm, client);
    }
    try {
      return client.authorize(request, challenge);
    } catch (e) {
      if (e instanceof SipError && e.code === 'auth-rejected') throw new ClientError('wrong-password', 'Wrong user name or password.', { status: challenge.status, cause: e });
      throw new ClientError('rejected', 'The server asks for a sign-in this page cannot answer.', { status: challenge.status, cause: e });
    }
  }
}
