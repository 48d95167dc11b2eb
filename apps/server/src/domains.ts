/**
 * Local domains and addresses of record: which Request-URIs and AORs are ours, and the canonical
 * AOR `sip:user@<first domain>` under which bindings are stored (every local domain is an alias of
 * the first, which is also the digest realm). Hosts and users are compared in canonical form, so
 * that `alice@localhost.`, `alice@127.1`, `alice@[::ffff:127.0.0.1]` and `%61lice@LOCALHOST` all
 * name alice: the registrar, the router and the trust rules share this one comparison.
 * @see RFC 3261 §10.3 steps 1 and 5, §16.5, §19.1.4
 */
import { isSipUri, parseUri, stringifyUri, unescapeUriPart, type SipUri, type Uri } from '@sipts/message';
import { unbracket } from '@sipts/transport';

const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * A host in canonical form: lower case, no trailing dot, no brackets, IPv4 in dotted decimal
 * (also when written `127.1`, `0x7f.1` or `2130706433`, the forms inet_aton accepts), IPv6
 * compressed, and an IPv4-mapped IPv6 address as its IPv4 address.
 * @example canonicalHost('[::ffff:127.0.0.1]') // '127.0.0.1'
 * @see RFC 3261 §19.1.4 (hosts compare case-insensitively)
 */
export function canonicalHost(host: string): string {
  let h = unbracket(host).toLowerCase();
  while (h.endsWith('.')) h = h.slice(0, -1);
  if (h.includes(':')) {
    let v6: string;
    try {
      v6 = unbracket(new URL(`http://[${h}]/`).hostname);
    } catch {
      return h;
    }
    const m = IPV4_MAPPED.exec(v6);
    if (m === null) return v6;
    const hi = Number.parseInt(m[1] ?? '0', 16);
    const lo = Number.parseInt(m[2] ?? '0', 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  if (/^[0-9a-fx.]+$/.test(h)) {
    try {
      return new URL(`http://${h}/`).hostname;
    } catch {
      return h;
    }
  }
  return h;
}

/** A user part with its escapes undone (RFC 3261 §19.1.4: `%61lice` is `alice`). */
export function canonicalUser(user: string): string {
  return unescapeUriPart(user);
}

/** The local domains, plus a check for this server's own addresses. */
export class LocalDomains {
  readonly #domains: Set<string>;
  readonly realm: string;
  readonly #isOwnUri: (uri: SipUri) => boolean;

  /** `domains`: the configured list (first = realm); `isOwnUri`: our listening addresses. */
  constructor(domains: readonly string[], isOwnUri: (uri: SipUri) => boolean) {
    this.#domains = new Set(domains.map((d) => canonicalHost(d)));
    this.realm = domains[0] ?? 'localhost';
    this.#isOwnUri = isOwnUri;
  }

  /** True for a SIP URI whose host is a local domain or one of our own addresses. */
  isLocal(uri: Uri | string): boolean {
    const u = parseUri(uri);
    if (u === undefined || !isSipUri(u)) return false;
    const host = canonicalHost(u.host);
    return this.#domains.has(host) || this.#isOwnUri({ ...u, host: host.includes(':') ? `[${host}]` : host });
  }

  /** The canonical AOR of a local SIP URI with a user part, else undefined. */
  aorOf(uri: Uri | string): { aor: string; user: string } | undefined {
    const u = parseUri(uri);
    if (u === undefined || !isSipUri(u) || u.user === undefined || u.user === '' || !this.isLocal(u)) return undefined;
    const user = canonicalUser(u.user);
    return { aor: `sip:${user}@${this.realm.toLowerCase()}`, user };
  }

  /**
   * Who a From or To URI names, for comparing identities: the canonical AOR of a local user, else
   * `user@host` in canonical form (scheme, port and parameters ignored), else the URI as text.
   * @example domains.identityOf('sip:alice@127.1') === domains.identityOf('sip:alice@localhost')
   */
  identityOf(uri: Uri | string): string {
    const local = this.aorOf(uri);
    if (local !== undefined) return local.aor;
    const u = parseUri(uri);
    if (u !== undefined && isSipUri(u)) return `${canonicalUser(u.user ?? '')}@${canonicalHost(u.host)}`;
    return typeof uri === 'string' ? uri : stringifyUri(uri);
  }
}
