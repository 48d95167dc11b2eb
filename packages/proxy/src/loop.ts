/**
 * Branch values that let a proxy detect loops (RFC 3261 §16.6 item 8, §16.3 item 4): a hash of
 * the fields that make a request loop, then a per-branch part (random when stateful, derived from
 * the incoming top Via when stateless, §16.11).
 * @see RFC 3261 §16.3, §16.6, §16.11
 */
import { stringifyUri, type HeaderValue, type SipRequest, type Uri } from '@sipts/message';
import { BRANCH_COOKIE, generateBranch } from '@sipts/transport';

const LOOP_LENGTH = 16;

/** A 64-bit non-cryptographic hash of `text` as 16 hex digits (two FNV-1a lanes, one pass). */
export function hashText(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
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
  const routes = (h.route ?? []).map((r) => uriText(r.uri)).join(',');
  return hashText([uriText(request.uri), tag(h.to?.params), tag(h.from?.params), h['call-id'] ?? '', String(h.cseq?.seq ?? ''), routes, text(h['proxy-require']), text(h['proxy-authorization'])].join('\n'));
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
