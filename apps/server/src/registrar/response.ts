/**
 * The 200 (OK) to a REGISTER (RFC 3261 §10.3 step 8): every current binding with its remaining
 * expiration, a Date header, and the Path values echoed (RFC 3327 §5.3).
 * @see RFC 3261 §10.3 step 8, RFC 3327 §5.3
 */
import { makeResponse, type NameAddr, type RouteEntry, type SipRequest, type SipResponse } from '@sipts/message';
import { generateTag } from '@sipts/transport';
import type { Binding } from '../store/index.js';

/** The q-value as written (`0.5`, `1`). */
function qText(q: number): string {
  return String(Math.round(q * 1000) / 1000);
}

/** What a registrar's 200 lists. */
export interface OkListing {
  bindings: readonly Binding[];
  /** The time the seconds left are computed at (ms, the store's clock). */
  now: number;
  /** The Path to echo (RFC 3327 §5.3). */
  path: readonly RouteEntry[];
}

/**
 * Builds the 200 listing `bindings` (seconds left computed at `now`).
 * @example okResponse(rq, { bindings: await store.lookup(aor, now), now, path: rq.headers.path ?? [] })
 */
export function okResponse(rq: SipRequest, listing: OkListing): SipResponse {
  const { bindings, now, path } = listing;
  const contact: NameAddr[] = bindings.map((b) => ({
    uri: b.contact,
    params: {
      ...(b.contactParams ?? {}),
      ...(b.q !== 1 ? { q: qText(b.q) } : {}),
      expires: String(Math.max(0, Math.ceil((b.expiresAt - now) / 1000))),
    },
  }));
  return makeResponse(rq, 200, undefined, {
    toTag: generateTag(),
    headers: {
      ...(contact.length > 0 ? { contact } : {}),
      ...(path.length > 0 ? { path: path.map((p) => ({ ...p })) } : {}),
      supported: 'path, outbound',
      date: new Date(now).toUTCString(),
    },
  });
}
