/**
 * Reading the Contact header field values of a REGISTER: the URI, its expiration (Contact
 * `expires`, else the Expires header, else the default; RFC 3261 §10.2.1.1, §10.3 step 6), q,
 * and the RFC 5626 instance and reg-id that make a binding's key.
 * @see RFC 3261 §10.3 steps 6 and 7, RFC 5626 §6
 */
import type { NameAddr } from '@sipts/message';

/** One Contact of a REGISTER, read. */
export interface ContactRequest {
  /** The Contact URI as sent. */
  uri: string;
  /** Requested expiration in seconds (before clamping). */
  expires: number;
  q: number;
  /** `+sip.instance` without its quotes (RFC 5626 §4.1). */
  instanceId?: string;
  /** `reg-id`, only together with an instance (RFC 5626 §6). */
  regId?: number;
  /** Params to echo in the 200 (`+sip.instance`, `reg-id`). */
  params: Record<string, string | null>;
  /** The binding's key within its AOR. */
  key: string;
}

/** A Contact problem: answered 400 with this reason. */
export class ContactError extends Error {
  override readonly name = 'ContactError';
}

/** A delta-seconds value (RFC 3261 §25.1), or undefined when absent; `bad` when malformed. */
export function deltaSeconds(v: unknown): number | undefined | 'bad' {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return 'bad';
  const s = String(v).trim();
  if (!/^\d{1,10}$/.test(s)) return 'bad';
  return Number(s);
}

function paramText(v: string | number | null | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return String(v);
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

/**
 * Reads one Contact against the request's Expires header and the default.
 * @throws ContactError for a malformed expires, q or reg-id
 */
export function readContact(contact: NameAddr, headerExpires: number | undefined, defaultExpires: number): ContactRequest {
  const p = contact.params;
  const own = deltaSeconds(p.expires);
  if (own === 'bad') throw new ContactError('malformed expires parameter');
  const expires = own ?? headerExpires ?? defaultExpires;
  let q = 1;
  const qText = paramText(p.q);
  if (qText !== undefined) {
    if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qText)) throw new ContactError('malformed q parameter');
    q = Number(qText);
  }
  const params: Record<string, string | null> = {};
  const instanceText = paramText(p['+sip.instance']);
  const instanceId = instanceText === undefined ? undefined : unquote(instanceText);
  let regId: number | undefined;
  if (instanceText !== undefined) {
    params['+sip.instance'] = instanceText.startsWith('"') ? instanceText : `"${instanceText}"`;
    const r = paramText(p['reg-id']);
    if (r !== undefined) {
      if (!/^\d{1,9}$/.test(r) || Number(r) === 0) throw new ContactError('malformed reg-id parameter');
      regId = Number(r);
      params['reg-id'] = r;
    }
  }
  // RFC 5626 §6: instance + reg-id name the flow's binding; otherwise the URI does (RFC 3261 §10.3 step 7).
  const key = instanceId !== undefined && regId !== undefined ? `${instanceId};${String(regId)}` : contact.uri;
  return { uri: contact.uri, expires, q, ...(instanceId !== undefined ? { instanceId } : {}), ...(regId !== undefined ? { regId } : {}), params, key };
}
