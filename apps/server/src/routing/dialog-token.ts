/**
 * Dialog tokens: how the server recognises, without keeping state, the in-dialog requests of
 * dialogs it record-routed. When it forwards a dialog-creating request it puts a token in its own
 * Record-Route URI (`;dlg=<token>`); the UAs copy that URI into their route sets (RFC 3261
 * §12.1.1, §12.1.2) and send it back in the Route of every request of the dialog (§12.2.1.1).
 *
 * The token is two HMAC-SHA-256 values (96 bits each, base64url) keyed by the server's secret,
 * one per direction, over the Call-ID, the From tag of the dialog-creating request, the
 * identities (canonical From and To, see `LocalDomains.identityOf`) of caller and callee, and the
 * host and port that direction's requests go to: the callee's (the Request-URI of the branch)
 * and the caller's (its Contact). A request of the dialog checks out in one direction: from the
 * caller (its From tag and identities as issued, its Request-URI at the callee's host) or from the
 * callee (its To tag is the caller's, From and To swapped, its Request-URI at the caller's host).
 * When the caller is a local user (authenticated when the dialog was set up) the hosts are not
 * bound, so target refreshes (RFC 3261 §12.2) keep working; a stranger's dialog cannot be used to
 * reach any host but the two parties'. Any instance that shares the secret verifies a token.
 * @see RFC 3261 §12.2, §16.6 item 4
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isSipUri, parseUri, type SipRequest } from '@sipts/message';
import { canonicalHost } from '../domains.js';

/** The Record-Route URI parameter that carries the token. */
export const DIALOG_PARAM = 'dlg';

const HALF = 12;

/** What the token binds, for one direction. */
interface Leg {
  callId: string;
  /** The From tag of the dialog-creating request. */
  tag: string;
  caller: string;
  callee: string;
  /** `to-callee` or `to-caller`. */
  direction: string;
  /** The host:port requests in this direction go to, or `*` (not bound: a local caller's dialog). */
  target: string;
}

/** Issues and checks dialog tokens. */
export interface DialogTokens {
  /**
   * The token for a dialog-creating request as forwarded on one branch (its Request-URI is the
   * callee's target); undefined when it has no Call-ID or From tag.
   */
  issue(branch: SipRequest): string | undefined;
  /** True when `token` was issued for the dialog `request` belongs to, in its direction. */
  verify(request: SipRequest, token: string): boolean;
}

function tagOf(params: Record<string, unknown> | undefined): string {
  const t = params?.tag;
  return typeof t === 'string' ? t : '';
}

/** `host:port` of a SIP URI in canonical form (default port by scheme), else the text. */
export function hostPort(uri: SipRequest['uri'] | undefined): string {
  if (uri === undefined) return '';
  const u = parseUri(uri);
  if (u === undefined || !isSipUri(u)) return typeof uri === 'string' ? uri : '';
  return `${canonicalHost(u.host)}:${String(u.port ?? (u.schema === 'sips' ? 5061 : 5060))}`;
}

/**
 * Creates the token issuer/verifier. `identityOf` canonicalises a From/To URI; `isLocal` tells
 * whether a From URI names a local user who had to authenticate (then the hosts are not bound).
 * @example const tokens = createDialogTokens({ secret, identityOf: (u) => domains.identityOf(u), isLocal: (u) => domains.aorOf(u) !== undefined })
 */
export function createDialogTokens(options: { secret: Uint8Array | string; identityOf: (uri: SipRequest['uri']) => string; isLocal: (uri: SipRequest['uri']) => boolean }): DialogTokens {
  const key = typeof options.secret === 'string' ? Buffer.from(`sipts-dialog\0${options.secret}`) : Buffer.concat([Buffer.from('sipts-dialog\0'), options.secret]);
  const mac = (l: Leg): Buffer => createHmac('sha256', key).update([l.callId, l.tag, l.caller, l.callee, l.direction, l.target].join('\0')).digest().subarray(0, HALF);
  const matches = (l: Leg, given: Buffer): boolean => {
    const expected = mac(l);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return {
    issue(rq) {
      const callId = rq.headers['call-id'];
      const tag = tagOf(rq.headers.from?.params);
      const { from, to } = rq.headers;
      if (callId === undefined || tag === '' || from === undefined || to === undefined) return undefined;
      const bound = !options.isLocal(from.uri);
      const base = { callId, tag, caller: options.identityOf(from.uri), callee: options.identityOf(to.uri) };
      const toCallee = mac({ ...base, direction: 'to-callee', target: bound ? hostPort(rq.uri) : '*' });
      const toCaller = mac({ ...base, direction: 'to-caller', target: bound ? hostPort(rq.headers.contact?.[0]?.uri) : '*' });
      return Buffer.concat([toCallee, toCaller]).toString('base64url');
    },
    verify(rq, token) {
      const callId = rq.headers['call-id'];
      const { from, to } = rq.headers;
      if (callId === undefined || from === undefined || to === undefined || token.length > 64) return false;
      const given = Buffer.from(token, 'base64url');
      if (given.length !== 2 * HALF) return false;
      const f = options.identityOf(from.uri);
      const t = options.identityOf(to.uri);
      const target = hostPort(rq.uri);
      const fromTag = tagOf(from.params);
      const toTag = tagOf(to.params);
      // From the caller: the first half; the hosts are bound unless the caller (From) is local.
      if (fromTag !== '' && matches({ callId, tag: fromTag, caller: f, callee: t, direction: 'to-callee', target: options.isLocal(from.uri) ? '*' : target }, given.subarray(0, HALF))) return true;
      // From the callee: the second half; the caller is the To.
      return toTag !== '' && matches({ callId, tag: toTag, caller: t, callee: f, direction: 'to-caller', target: options.isLocal(to.uri) ? '*' : target }, given.subarray(HALF));
    },
  };
}
