/**
 * Which digest algorithms a challenge offers, and in what order, for the client that asked.
 *
 * RFC 8760 §2.4 lets a server send one challenge per algorithm, preferred first, and RFC 7616
 * §3.7 has the client use the first one it supports. Many deployed clients do less: some read only
 * the first challenge and know only MD5 (sipp 3.6, sipsak 0.9), some give up as soon as any
 * challenge names an algorithm they do not know (baresip 1.0). A server that leads with SHA-256
 * locks them out; one that leads with MD5 makes every compliant client use MD5.
 *
 * So the offer depends on the User-Agent, as a table of {@link ClientRule}s (first match wins):
 * a rule reorders or narrows the algorithms the user has, never adds one the configuration or the
 * user's stored hashes do not allow. Clients no rule names get every algorithm, strongest first.
 * The User-Agent is the client's word, so a rule is a convenience, not a trust decision: anyone
 * can claim to be baresip and be offered MD5, which the configuration allows anyway.
 * @see RFC 8760 §2.4, RFC 7616 §3.7, RFC 3261 §20.41
 */
import type { SipRequest } from '@sipts/message';

/** The digest algorithms the server configures (RFC 7616 §3.2; MD5 for legacy clients). */
export type DigestAlgorithm = 'SHA-256' | 'MD5';

/** One row of the client table. */
export interface ClientRule {
  /**
   * A case-insensitive prefix of the User-Agent header value (`baresip` matches `baresip v1.0.0
   * (x86_64/linux)`), or `null` for requests without a User-Agent header.
   */
  userAgent: string | null;
  /** The algorithms to offer these clients, in this order. */
  algorithms: readonly DigestAlgorithm[];
  /** Why (shown in the README and the embedded config). */
  note?: string | undefined;
}

/** What {@link challengeAlgorithms} chooses from. */
export interface OfferQuery {
  request: SipRequest;
  /** The algorithms the user has hashes for, in the configured order. */
  available: readonly DigestAlgorithm[];
  rules: readonly ClientRule[];
}

/** The User-Agent header's value, or undefined when there is none. */
function userAgentOf(request: SipRequest): string | undefined {
  const raw = (request.headers as Record<string, unknown>)['user-agent'];
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw) && typeof raw[0] === 'string') return raw.join(', ');
  return undefined;
}

/** The first rule that names this client, if any. */
export function ruleFor(request: SipRequest, rules: readonly ClientRule[]): ClientRule | undefined {
  const ua = userAgentOf(request)?.trimStart().toLowerCase();
  return rules.find((r) => (r.userAgent === null ? ua === undefined : ua?.startsWith(r.userAgent.toLowerCase()) === true));
}

/**
 * The algorithms to challenge `request` with, in order: the matching rule's, narrowed to those
 * available; the available ones when no rule matches or the rule leaves none.
 * @example challengeAlgorithms({ request, available: ['SHA-256', 'MD5'], rules }) // ['MD5'] for baresip
 * @see RFC 8760 §2.4
 */
export function challengeAlgorithms(query: OfferQuery): DigestAlgorithm[] {
  const rule = ruleFor(query.request, query.rules);
  const chosen = rule === undefined ? [] : [...new Set(rule.algorithms)].filter((a) => query.available.includes(a));
  return chosen.length > 0 ? chosen : [...query.available];
}

/**
 * The set of algorithms most users have (ties: the larger set), in the configured order: what an
 * unknown user is challenged with, so that the challenge does not tell it is unknown.
 */
export function commonAlgorithms(sets: readonly (readonly DigestAlgorithm[])[], configured: readonly DigestAlgorithm[]): DigestAlgorithm[] {
  const counts = new Map<string, { n: number; set: readonly DigestAlgorithm[] }>();
  for (const s of sets) {
    const key = s.join(',');
    const c = counts.get(key);
    counts.set(key, { n: (c?.n ?? 0) + 1, set: s });
  }
  let best: { n: number; set: readonly DigestAlgorithm[] } | undefined;
  for (const c of counts.values()) if (best === undefined || c.n > best.n || (c.n === best.n && c.set.length > best.set.length)) best = c;
  return best === undefined ? [...configured] : configured.filter((a) => best.set.includes(a));
}
