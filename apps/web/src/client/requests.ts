/**
 * The requests a chat user agent sends: REGISTER (RFC 3261 §10.2, RFC 5626 §4.2.1, RFC 7118 §5)
 * and MESSAGE (RFC 3428 §4), as plain message objects for the transaction layer.
 * @see RFC 3261 §8.1.1, §10.2; RFC 3428 §4; RFC 5626 §4.2; RFC 7118 §5
 */
import type { NameAddr, SipRequest } from '@sipts/message';
import { generateBranch, generateTag } from '@sipts/transport';
import type { AddressOfRecord } from './identity.js';

/** The product token of the User-Agent header. */
export const USER_AGENT = 'sipts-web-client/0.0';

/** What {@link buildRegister} needs. */
export interface RegisterParts {
  aor: AddressOfRecord;
  callId: string;
  fromTag: string;
  cseq: number;
  /** The Contact URI: `sip:<random>@<random>.invalid;transport=ws`. */
  contactUri: string;
  /** Seconds; 0 removes the binding. */
  expires: number;
  /** `urn:uuid:…`: sent as `+sip.instance` with `reg-id=1` (RFC 5626 §4.2.1). */
  instanceId: string;
  /** The registrar supports outbound: add `ob` to the Contact URI (RFC 5626 §5.4). */
  outbound: boolean;
}

/** The Contact of a REGISTER. */
export function registerContact(parts: Pick<RegisterParts, 'contactUri' | 'expires' | 'instanceId' | 'outbound'>): NameAddr {
  return {
    uri: parts.outbound ? `${parts.contactUri};ob` : parts.contactUri,
    params: { '+sip.instance': `"<${parts.instanceId}>"`, 'reg-id': '1', expires: String(parts.expires) },
  };
}

/**
 * A REGISTER for `aor` (Request-URI: the domain; To and From: the AOR; one Call-ID and rising
 * CSeq for every REGISTER of a session).
 * @see RFC 3261 §10.2, RFC 5626 §4.2.1
 */
export function buildRegister(parts: RegisterParts): SipRequest {
  return {
    method: 'REGISTER',
    uri: `sip:${parts.aor.domain}`,
    headers: {
      via: [{ version: '2.0', protocol: 'WS', host: '', port: undefined, params: { branch: generateBranch() } }],
      'max-forwards': '70',
      to: { uri: parts.aor.uri, params: {} },
      from: { uri: parts.aor.uri, params: { tag: parts.fromTag } },
      'call-id': parts.callId,
      cseq: { seq: parts.cseq, method: 'REGISTER' },
      contact: [registerContact(parts)],
      expires: String(parts.expires),
      supported: 'path, outbound',
      'user-agent': USER_AGENT,
    },
    content: '',
  };
}

/**
 * A MESSAGE outside a dialog with a text/plain body (UTF-8). No Contact: it creates no dialog.
 * @see RFC 3428 §4, §7
 */
export function buildMessage(from: AddressOfRecord, to: string, text: string, callId: string): SipRequest {
  return {
    method: 'MESSAGE',
    uri: to,
    headers: {
      via: [{ version: '2.0', protocol: 'WS', host: '', port: undefined, params: { branch: generateBranch() } }],
      'max-forwards': '70',
      to: { uri: to, params: {} },
      from: { uri: from.uri, params: { tag: generateTag() } },
      'call-id': callId,
      cseq: { seq: 1, method: 'MESSAGE' },
      'content-type': 'text/plain;charset=UTF-8',
      'user-agent': USER_AGENT,
    },
    content: text,
  };
}

/** True when a comma-separated option-tag header (Supported, Require) holds `tag`. */
export function hasOptionTag(value: unknown, tag: string): boolean {
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? value : '';
  return text.split(',').some((t) => t.trim().toLowerCase() === tag);
}
