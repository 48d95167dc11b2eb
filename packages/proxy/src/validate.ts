/**
 * Request validation before a proxy routes a request (RFC 3261 §16.3): Max-Forwards, loop
 * detection and Proxy-Require. (Reasonable syntax, the URI scheme and the mandatory headers are
 * checked by the transaction layer.)
 * @see RFC 3261 §16.3
 */
import type { Headers, SipRequest, Via } from '@sipts/message';
import { loopPart } from './loop.js';

/** A response the proxy answers instead of routing. */
export interface Rejection {
  status: number;
  headers?: Headers;
}

/** What {@link validateRequest} needs to know. */
export interface ValidationContext {
  /** The request's loop hash ({@link loopHash}) as received. */
  loop: string;
  isOwnVia(via: Via): boolean;
  /** Option tags supported in Proxy-Require. */
  supported: ReadonlySet<string>;
  /** Answer OPTIONS at Max-Forwards 0 with 200. */
  answerOptions: boolean;
  /** Vias of ours a request may already carry (spirals); more is answered 482. Default unlimited. */
  maxSpirals?: number;
}

/** The Max-Forwards value, or undefined when absent or not a number. */
export function maxForwards(request: SipRequest): number | undefined {
  const v = request.headers['max-forwards'];
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

/** Option tags of a comma-separated header (Proxy-Require, Require). */
export function optionTags(value: unknown): string[] {
  let list: string[] = [];
  if (typeof value === 'string') list = [value];
  else if (Array.isArray(value)) list = value.filter((v): v is string => typeof v === 'string');
  return list
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/**
 * The response to answer instead of forwarding, or undefined when the request may be routed.
 * @example const r = validateRequest(rq, ctx); if (r) return st.respond(makeResponse(rq, r.status))
 * @see RFC 3261 §16.3 items 3, 4 and 5
 */
export function validateRequest(request: SipRequest, ctx: ValidationContext): Rejection | undefined {
  // §16.3 item 3: Max-Forwards.
  if (maxForwards(request) === 0) {
    if (request.method === 'OPTIONS' && ctx.answerOptions) return { status: 200 };
    return { status: 483 };
  }
  // §16.3 item 4: a Via of ours carrying the same loop hash: the request came back unchanged.
  let spirals = 0;
  for (const via of request.headers.via ?? []) {
    if (!ctx.isOwnVia(via)) continue;
    if (loopPart(via.params.branch) === ctx.loop) return { status: 482 };
    spirals++;
  }
  // A spiral (§16.3 item 4: the Request-URI changed) is legal, but not without end.
  if (ctx.maxSpirals !== undefined && spirals > ctx.maxSpirals) return { status: 482 };
  // §16.3 item 5: Proxy-Require.
  if (request.headers['proxy-require'] === undefined) return undefined;
  const unsupported = optionTags(request.headers['proxy-require']).filter((t) => !ctx.supported.has(t));
  if (unsupported.length > 0) return { status: 420, headers: { unsupported: unsupported.join(', ') } };
  return undefined;
}
