/**
 * Dialog tokens: how the server recognises, without keeping state, the in-dialog requests of
 * dialogs it record-routed. When it forwards a dialog-creating request it puts a token in its own
 * Record-Route URI (`;dlg=<token>`); the UAs copy that URI into their route sets (RFC 3261
 * §12.1.1, §12.1.2) and send it back in the Route of every request of the dialog (§12.2.1.1).
 *
 * The token is an HMAC-SHA-256 (truncated to 128 bits, base64url) keyed by the server's secret
 * over the Call-ID, the From tag of the dialog-creating request, and the identities (canonical
 * From and To, see `LocalDomains.identityOf`) of caller and callee. A request in the dialog
 * checks out in one of the two directions: from the caller (its From tag and From identity are
 * the caller's) or from the callee (its To tag is the caller's, From and To swapped). So a token
 * cannot be moved to another Call-ID or another pair of identities, and any instance that shares
 * the secret verifies it.
 * @see RFC 3261 §12.2, §16.6 item 4
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SipRequest } from '@sipts/message';

/** The Record-Route URI parameter that carries the token. */
export const DIALOG_PARAM = 'dlg';

/** The fields a token binds. */
interface DialogFields {
  callId: string;
  /** The From tag of the dialog-creating request. */
  tag: string;
  caller: string;
  callee: string;
}

/** Issues and checks dialog tokens. */
export interface DialogTokens {
  /** The token for a dialog-creating request (undefined when it has no Call-ID or From tag). */
  issue(request: SipRequest): string | undefined;
  /** True when `token` was issued for the dialog `request` belongs to, in either direction. */
  verify(request: SipRequest, token: string): boolean;
}

function tagOf(params: Record<string, unknown> | undefined): string {
  const t = params?.tag;
  return typeof t === 'string' ? t : '';
}

/**
 * Creates the token issuer/verifier; `identityOf` canonicalises a From/To URI.
 * @example const tokens = createDialogTokens({ secret, identityOf: (u) => domains.identityOf(u) })
 */
export function createDialogTokens(options: { secret: Uint8Array | string; identityOf: (uri: SipRequest['uri']) => string }): DialogTokens {
  const key = typeof options.secret === 'string' ? Buffer.from(`sipts-dialog\0${options.secret}`) : Buffer.concat([Buffer.from('sipts-dialog\0'), options.secret]);
  const mac = (f: DialogFields): Buffer =>
    createHmac('sha256', key).update([f.callId, f.tag, f.caller, f.callee].join('\0')).digest().subarray(0, 16);
  const matches = (f: DialogFields, given: Buffer): boolean => {
    const expected = mac(f);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  return {
    issue(rq) {
      const callId = rq.headers['call-id'];
      const tag = tagOf(rq.headers.from?.params);
      const { from, to } = rq.headers;
      if (callId === undefined || tag === '' || from === undefined || to === undefined) return undefined;
      return mac({ callId, tag, caller: options.identityOf(from.uri), callee: options.identityOf(to.uri) }).toString('base64url');
    },
    verify(rq, token) {
      const callId = rq.headers['call-id'];
      const { from, to } = rq.headers;
      if (callId === undefined || from === undefined || to === undefined || token.length > 64) return false;
      const given = Buffer.from(token, 'base64url');
      const f = options.identityOf(from.uri);
      const t = options.identityOf(to.uri);
      const fromTag = tagOf(from.params);
      const toTag = tagOf(to.params);
      return (fromTag !== '' && matches({ callId, tag: fromTag, caller: f, callee: t }, given)) || (toTag !== '' && matches({ callId, tag: toTag, caller: t, callee: f }, given));
    },
  };
}
