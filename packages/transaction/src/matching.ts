/**
 * Transaction keys: which transaction a message belongs to.
 *
 * - Responses (client side, RFC 3261 §17.1.3): the top Via branch and the CSeq method.
 * - Requests (server side, RFC 3261 §17.2.3): a branch with the magic cookie, the top Via sent-by
 *   and the method (ACK matches its INVITE's transaction); for requests without the cookie
 *   (RFC 2543 peers), the Request-URI, To tag, From tag, Call-ID, CSeq and top Via.
 *
 * Keys are strings so that a `Map` lookup is one hash; the prefix tells the two forms apart.
 * @see RFC 3261 §17.1.3, §17.2.3, §9.2
 */
import { stringifyUri, type Params, type SipRequest, type SipResponse, type Via } from '@sipts/message';
import { hasMagicCookie } from '@sipts/transport';

/** The separator of key parts: a character no token, host or URI carries unescaped. */
const SEP = '\u0001';

/**
 * Key parts joined into one flat string. A template literal makes a tree of string pieces, and
 * pieces cut from a parsed message keep that message's whole header text alive: a key that
 * outlives its request (a waiting transaction's, a merged-request entry's) must hold only itself.
 */
function joinKey(parts: string[]): string {
  return parts.join(SEP);
}

function param(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? String(v) : v;
}

/**
 * The top Via's branch, if any.
 * @example topBranch(rq) // 'z9hG4bK776asdhds'
 * @see RFC 3261 §8.1.1.7
 */
export function topBranch(message: SipRequest | SipResponse): string | undefined {
  const via = message.headers.via?.[0];
  return via === undefined ? undefined : param(via.params, 'branch');
}

const COOKIE = 'z9hG4bK';

/**
 * A branch as keys compare it: case-insensitively (§7.3.1), in one canonical form: the magic
 * cookie as RFC 3261 writes it (`z9hG4bK`, in any case in the input) and the rest lower-cased.
 * Every RFC 3261 branch has the cookie's capitals, so lower-casing the whole branch made a new
 * string per message; in this form a branch whose rest has no capital is its own key part.
 */
function branchKey(branch: string): string {
  if (branch.startsWith(COOKIE)) {
    for (let i = COOKIE.length; i < branch.length; i++) {
      const c = branch.charCodeAt(i);
      if (c >= 0x41 && c <= 0x5a) return COOKIE + branch.slice(COOKIE.length).toLowerCase();
    }
    return branch;
  }
  const lower = branch.toLowerCase();
  return lower.startsWith('z9hg4bk') ? COOKIE + lower.slice(COOKIE.length) : lower;
}

/** The method a request's transaction was created by: INVITE for an ACK (§17.2.3), else its own. */
function transactionMethod(method: string): string {
  return method === 'ACK' ? 'INVITE' : method;
}

/**
 * sent-by as compared by §17.2.3: host case-insensitive, port as written (absent ≠ 5060). The
 * branch, like any parameter value, compares case-insensitively (§7.3.1).
 */
function sentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port === undefined ? '' : String(via.port)}`;
}

/**
 * The top Via as RFC 2543 matching compares it: protocol, sent-by and parameters, less the
 * `received` and `rport` parameters this side stamps on arrival (§18.2.1, RFC 3581).
 */
function viaKey(via: Via): string {
  const names = Object.keys(via.params)
    .filter((n) => n !== 'received' && n !== 'rport')
    .sort();
  let out = `${via.protocol.toUpperCase()} ${sentBy(via)}`;
  for (const n of names) out += `;${n.toLowerCase()}=${param(via.params, n) ?? ''}`;
  return out;
}

function requestUri(request: SipRequest): string {
  return typeof request.uri === 'string' ? request.uri : stringifyUri(request.uri);
}

/**
 * The key of the server transaction a request belongs to (§17.2.3), computed as if its method
 * were `method` (default: the request's own, INVITE for an ACK). Pass `'INVITE'` for a CANCEL to
 * find the INVITE it cancels (§9.2). `undefined` when the request has no top Via or CSeq.
 *
 * RFC 2543 requests (no magic cookie) are keyed by the Request-URI, To tag, From tag, Call-ID,
 * CSeq number and top Via (`toTagValue` replaces the To tag: see {@link ackKeys}).
 * @example serverKey(cancel, 'INVITE') === serverKey(invite) // the CANCEL's INVITE (§9.2)
 * @see RFC 3261 §17.2.3, §9.2
 */
export function serverKey(request: SipRequest, method = transactionMethod(request.method), toTagValue = toTag(request)): string | undefined {
  const h = request.headers;
  const via = h.via?.[0];
  if (via === undefined || h.cseq === undefined) return undefined;
  const branch = param(via.params, 'branch');
  if (hasMagicCookie(branch)) return joinKey(['3', branchKey(branch), sentBy(via), method]);
  const fromTag = h.from === undefined ? '' : (param(h.from.params, 'tag') ?? '');
  const callId = h['call-id'] ?? '';
  return joinKey(['2', requestUri(request), toTagValue, fromTag, callId, String(h.cseq.seq), method, viaKey(via)]);
}

/**
 * The key of the server transaction a response (built from its request, so carrying its Vias and
 * CSeq) belongs to, for RFC 3261 requests: top Via branch, sent-by and CSeq method. `undefined`
 * for RFC 2543 requests (their key needs the Request-URI, which a response lacks).
 * @example servers.get(responseServerKey(makeResponse(rq, 200))) // rq's server transaction
 * @see RFC 3261 §17.2.3
 */
export function responseServerKey(response: SipResponse): string | undefined {
  const via = response.headers.via?.[0];
  const cseq = response.headers.cseq;
  if (via === undefined || cseq === undefined) return undefined;
  const branch = param(via.params, 'branch');
  if (!hasMagicCookie(branch)) return undefined;
  return joinKey(['3', branchKey(branch), sentBy(via), cseq.method]);
}

/**
 * The keys an ACK may match, in order (§17.2.3). With the magic cookie, one: its INVITE's. For an
 * RFC 2543 ACK, whose To tag is the one of the response (the INVITE had none, or, inside a
 * dialog, the same one), the key with its own To tag and the key with none.
 * @example ackKeys(ack).some((k) => table.has(k))
 * @see RFC 3261 §17.2.3
 */
export function ackKeys(ack: SipRequest): string[] {
  const own = serverKey(ack, 'INVITE');
  if (own === undefined) return [];
  if (hasMagicCookie(topBranch(ack))) return [own];
  const tag = toTag(ack);
  const untagged = tag === '' ? undefined : serverKey(ack, 'INVITE', '');
  return untagged === undefined ? [own] : [own, untagged];
}

/**
 * The To tag of a request or response, `''` when there is none.
 * @example toTag(rs) // 'a6c85cf'
 * @see RFC 3261 §19.3
 */
export function toTag(message: SipRequest | SipResponse): string {
  const to = message.headers.to;
  return to === undefined ? '' : (param(to.params, 'tag') ?? '');
}

/**
 * The key of the client transaction a response belongs to (§17.1.3): the top Via branch and the
 * CSeq method (so the responses to a CANCEL and to its INVITE, which share a branch, differ).
 * `undefined` when the response has no branch or CSeq.
 * @example clientKey(rs) === clientKeyFor(branch, 'INVITE')
 * @see RFC 3261 §17.1.3
 */
export function clientKey(response: SipResponse): string | undefined {
  const branch = topBranch(response);
  const cseq = response.headers.cseq;
  if (branch === undefined || cseq === undefined) return undefined;
  return clientKeyFor(branch, cseq.method);
}

/**
 * The client-transaction key for a branch and method (the key a response will produce). Branches
 * compare case-insensitively, as parameter values do unless a header says otherwise (§7.3.1).
 * @example clients.set(clientKeyFor(tx.branch, 'INVITE'), tx)
 * @see RFC 3261 §17.1.3
 */
export function clientKeyFor(branch: string, method: string): string {
  return joinKey([branchKey(branch), method]);
}

/**
 * The merged-request key (§8.2.2.2): From tag, Call-ID and CSeq of a request without a To tag.
 * `undefined` for requests that cannot be merged (a To tag, an ACK, missing headers).
 * @example mergeKey(forkedCopy) === mergeKey(original) // true: the second gets 482
 * @see RFC 3261 §8.2.2.2
 */
export function mergeKey(request: SipRequest): string | undefined {
  const h = request.headers;
  if (request.method === 'ACK' || h.cseq === undefined || h.from === undefined) return undefined;
  if (toTag(request) !== '') return undefined;
  const fromTag = param(h.from.params, 'tag') ?? '';
  return joinKey([fromTag, h['call-id'] ?? '', String(h.cseq.seq), h.cseq.method]);
}
