/**
 * Branch values that let a proxy detect loops (RFC 3261 §16.6 item 8, §16.3 item 4): a hash of
 * the fields that make a request loop, then a per-branch part (random when stateful, derived from
 * the incoming top Via when stateless, §16.11).
 * @see RFC 3261 §16.3, §16.6, §16.11
 */
import { stringifyUri, type HeaderValue, type RouteEntry, type SipRequest, type Uri } from '@sipts/message';
import { BRANCH_COOKIE, generateBranch } from '@sipts/transport';

const LOOP_LENGTH = 16;

/** Two FNV-1a lanes (the state of {@link hashText} while it runs). */
const lanes = new Uint32Array(2);
const OFFSET_A = 0x811c9dc5;
const OFFSET_B = 0x050c5d1f;

/** Feeds `text` into the lanes. */
function feed(text: string): void {
  let a = lanes[0] ?? 0;
  let b = lanes[1] ?? 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  lanes[0] = a;
  lanes[1] = b;
}

/** Two hex digits per byte value: `Number#toString(16)` is a runtime call, and this runs per forwarded request. */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => (b < 16 ? '0' : '') + b.toString(16));

/** `n` (an unsigned 32-bit integer) as 8 lower-case hex digits. */
function hex8(n: number): string {
  return (BYTE_HEX[n >>> 24] ?? '') + (BYTE_HEX[(n >>> 16) & 255] ?? '') + (BYTE_HEX[(n >>> 8) & 255] ?? '') + (BYTE_HEX[n & 255] ?? '');
}

/** A 64-bit non-cryptographic hash of `text` as 16 hex digits (two FNV-1a lanes, one pass). */
export function hashText(text: string): string {
  lanes[0] = OFFSET_A;
  lanes[1] = OFFSET_B;
  feed(text);
  return hex8(lanes[0]) + hex8(lanes[1]);
}

/** A URI as text. */
export function uriText(uri: string | Uri): string {
  return typeof uri === 'string' ? uri : stringifyUri(uri);
}

function text(v: HeaderValue | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function tag(params: Record<string, unknown> | undefined): string {
  const t = params?.tag;
  return typeof t === 'string' ? t : '';
}

/**
 * The loop-relevant hash of a request as received: Request-URI, To and From tags, Call-ID, CSeq
 * number, Route, Proxy-Require and Proxy-Authorization.
 * @example const loop = loopHash(request) // compare with the loop part of our own Via branches
 * @see RFC 3261 §16.6 item 8
 */
export function loopHash(request: SipRequest): string {
  const h = request.headers;
  // The same value as hashing the fields joined by newlines (routes by commas), without the join.
  lanes[0] = OFFSET_A;
  lanes[1] = OFFSET_B;
  feed(uriText(request.uri));
  feed('\n');
  feed(tag(h.to?.params));
  feed('\n');
  feed(tag(h.from?.params));
  feed('\n');
  feed(h['call-id'] ?? '');
  feed('\n');
  feed(String(h.cseq?.seq ?? ''));
  feed('\n');
  const routes = h.route ?? [];
  for (let i = 0; i < routes.length; i++) {
    if (i > 0) feed(',');
    feed(uriText((routes[i] as RouteEntry).uri));
  }
  feed('\n');
  feed(text(h['proxy-require']));
  feed('\n');
  feed(text(h['proxy-authorization']));
  return hex8(lanes[0]) + hex8(lanes[1]);
}

/**
 * A branch for a forwarded request: the magic cookie, the loop hash, a dot, then a random part, or
 * for a stateless proxy a hash of the incoming top Via (so a retransmission gets the same branch).
 * @example via.params.branch = proxyBranch(loopHash(rq))
 * @see RFC 3261 §16.6 item 8, §16.11
 */
export function proxyBranch(loop: string, request?: SipRequest): string {
  if (request === undefined) return `${BRANCH_COOKIE}${loop}.${generateBranch().slice(BRANCH_COOKIE.length)}`;
  const top = request.headers.via?.[0];
  const seed = top === undefined ? '' : `${String(top.params.branch)}|${top.host}|${String(top.port)}|${request.method}`;
  return `${BRANCH_COOKIE}${loop}.${hashText(seed)}`;
}

/** The loop part of a branch written by {@link proxyBranch}, or undefined for other branches. */
export function loopPart(branch: unknown): string | undefined {
  if (typeof branch !== 'string' || !branch.startsWith(BRANCH_COOKIE)) return undefined;
  const end = BRANCH_COOKIE.length + LOOP_LENGTH;
  if (branch.length <= end || branch[end] !== '.') return undefined;
  return branch.slice(BRANCH_COOKIE.length, end);
}
