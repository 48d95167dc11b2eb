/**
 * Local domains and addresses of record: which Request-URIs and AORs are ours, and the canonical
 * AOR `sip:user@<first domain>` under which bindings are stored (every local domain is an alias of
 * the first, which is also the digest realm).
 * @see RFC 3261 §10.3 steps 1 and 5, §16.5
 */
import { isSipUri, parseUri, type SipUri, type Uri } from '@sipts/message';
import { unbracket } from '@sipts/transport';

/** The local domains, plus a check for this server's own addresses. */
export class LocalDomains {
  readonly #domains: Set<string>;
  readonly realm: string;
  readonly #isOwnUri: (uri: SipUri) => boolean;

  /** `domains`: the configured list (first = realm); `isOwnUri`: our listening addresses. */
  constructor(domains: readonly string[], isOwnUri: (uri: SipUri) => boolean) {
    this.#domains = new Set(domains.map((d) => unbracket(d).toLowerCase()));
    this.realm = domains[0] ?? 'localhost';
    this.#isOwnUri = isOwnUri;
  }

  /** True for a SIP URI whose host is a local domain or one of our own addresses. */
  isLocal(uri: Uri | string): boolean {
    const u = parseUri(uri);
    if (u === undefined || !isSipUri(u)) return false;
    return this.#domains.has(unbracket(u.host).toLowerCase()) || this.#isOwnUri(u);
  }

  /** The canonical AOR of a local SIP URI with a user part, else undefined. */
  aorOf(uri: Uri | string): { aor: string; user: string } | undefined {
    const u = parseUri(uri);
    if (u === undefined || !isSipUri(u) || u.user === undefined || u.user === '' || !this.isLocal(u)) return undefined;
    return { aor: `sip:${u.user}@${this.realm.toLowerCase()}`, user: u.user };
  }
}
