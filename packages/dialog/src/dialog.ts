/**
 * A dialog (RFC 3261 §12): its ID, route set, remote target and sequence numbers, and the requests
 * built inside it. The same object serves early (from a 1xx with a To tag) and confirmed dialogs.
 * @see RFC 3261 §12.1 (creation), §12.2 (requests within a dialog), §12.3 (termination)
 */
import { isSipUri, parseUri, SipError, stringifyUri, type Headers, type NameAddr, type RouteEntry, type SipRequest, type SipResponse } from '@sipts/message';
import type { Remote } from '@sipts/transport';

/** RFC 3261 §12: Call-ID, local tag and remote tag identify a dialog. */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** The dialog states of RFC 3261 §12. */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** The key of a dialog in a table. */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}

/** A tag parameter as a string ('' when absent). */
export function tagOf(value: NameAddr | undefined): string {
  const tag = value?.params.tag;
  return typeof tag === 'string' ? tag : '';
}

/** A random initial CSeq below 2^31 (RFC 3261 §8.1.1.5, §12.2.1.1). */
export function initialCSeq(): number {
  const b = new Uint32Array(1);
  crypto.getRandomValues(b);
  return ((b[0] ?? 1) & 0x3fffffff) + 1;
}

function contactUri(message: SipRequest | SipResponse): string | undefined {
  const c = message.headers.contact?.[0];
  return c === undefined || c.uri === '*' ? undefined : c.uri;
}

function isLooseRouter(route: RouteEntry): boolean {
  const uri = typeof route.uri === 'string' ? parseUri(route.uri) : route.uri;
  return uri !== undefined && isSipUri(uri) && uri.params.lr !== undefined;
}

function routeUriText(route: RouteEntry): string {
  return typeof route.uri === 'string' ? route.uri : stringifyUri(route.uri);
}

/** Options of the Dialog constructor (use the `fromUac`/`fromUas` factories). */
export interface DialogInit {
  id: DialogId;
  state: DialogState;
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: string;
  routeSet: RouteEntry[];
  localSeq: number;
  remoteSeq: number | undefined;
  secure: boolean;
  /** The connection the dialog was created over (in-dialog requests reuse it). */
  remote: Remote | undefined;
}

/**
 * The state of one dialog.
 * @example
 * const d = Dialog.fromUac(invite, response200);
 * const bye = d.createRequest('BYE'); // To/From tags, Call-ID, next CSeq, Route set, remote target
 * @see RFC 3261 §12
 */
export class Dialog {
  readonly id: DialogId;
  state: DialogState;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  /** The remote target: the peer's Contact, refreshed by target refresh requests (§12.2). */
  remoteTarget: string;
  /** The route set (§12.1.1, §12.1.2), in the order requests carry it. */
  routeSet: RouteEntry[];
  /** The local CSeq: the number of the last request sent in the dialog. */
  localSeq: number;
  /** The remote CSeq; undefined until the peer sends a request in the dialog. */
  remoteSeq: number | undefined;
  readonly secure: boolean;
  remote: Remote | undefined;

  constructor(init: DialogInit) {
    this.id = init.id;
    this.state = init.state;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.remote = init.remote;
  }

  /** The dialog's table key. */
  get key(): string {
    return dialogKey(this.id);
  }

  /**
   * RFC 3261 §12.1.2: the UAC's dialog from a 1xx with a To tag (early) or a 2xx (confirmed): route
   * set from the response's Record-Route reversed, remote target from its Contact, local CSeq from
   * the request, remote CSeq empty.
   * @throws SipError `invalid-argument` when the response has no To tag or the request no Call-ID/CSeq/From
   */
  static fromUac(request: SipRequest, response: SipResponse, remote?: Remote): Dialog {
    const remoteTag = tagOf(response.headers.to);
    const { from, cseq } = request.headers;
    const callId = request.headers['call-id'];
    if (remoteTag === '' || from === undefined || cseq === undefined || callId === undefined || response.headers.to === undefined) {
      throw new SipError('invalid-argument', 'a dialog needs a To tag in the response and Call-ID, CSeq, From in the request');
    }
    const target = typeof request.uri === 'string' ? request.uri : stringifyUri(request.uri);
    return new Dialog({
      id: { callId, localTag: tagOf(from), remoteTag },
      state: response.status >= 200 ? 'confirmed' : 'early',
      localUri: structuredClone(from),
      remoteUri: structuredClone(response.headers.to),
      remoteTarget: contactUri(response) ?? target,
      routeSet: structuredClone([...(response.headers['record-route'] ?? [])].reverse()),
      localSeq: cseq.seq,
      remoteSeq: undefined,
      secure: target.startsWith('sips:'),
      remote: remote?.flowId !== undefined ? remote : undefined,
    });
  }

  /**
   * RFC 3261 §12.1.1: the UAS's dialog from a request and the To tag it answers with: route set
   * from the request's Record-Route in order, remote target from its Contact, remote CSeq from the
   * request, local CSeq a fresh random number.
   * @throws SipError `invalid-argument` when the request lacks Call-ID, CSeq, From or To
   */
  static fromUas(request: SipRequest, localTag: string, remote?: Remote): Dialog {
    const { from, to, cseq } = request.headers;
    const callId = request.headers['call-id'];
    if (from === undefined || to === undefined || cseq === undefined || callId === undefined) {
      throw new SipError('invalid-argument', 'a dialog needs Call-ID, CSeq, From and To in the request');
    }
    const localUri = structuredClone(to);
    localUri.params.tag = localTag;
    const target = typeof request.uri === 'string' ? request.uri : stringifyUri(request.uri);
    return new Dialog({
      id: { callId, localTag, remoteTag: tagOf(from) },
      state: 'early',
      localUri,
      remoteUri: structuredClone(from),
      remoteTarget: contactUri(request) ?? '',
      routeSet: structuredClone(request.headers['record-route'] ?? []),
      localSeq: initialCSeq(),
      remoteSeq: cseq.seq,
      secure: target.startsWith('sips:'),
      remote: remote?.flowId !== undefined ? remote : undefined,
    });
  }

  /**
   * RFC 3261 §12.2.2: a request's CSeq must be higher than the remote CSeq (the caller answers 500
   * when not). Records the new remote CSeq and returns true.
   */
  acceptRemoteSeq(request: SipRequest): boolean {
    const seq = request.headers.cseq?.seq;
    if (seq === undefined) return false;
    if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
    this.remoteSeq = seq;
    return true;
  }

  /** RFC 3261 §12.2: a target refresh request or its 2xx replaces the remote target with its Contact. */
  refreshTarget(message: SipRequest | SipResponse): void {
    const uri = contactUri(message);
    if (uri !== undefined) this.remoteTarget = uri;
  }

  /**
   * RFC 3261 §12.1.2: the 2xx that confirms an early dialog sets the route set again (from its
   * Record-Route) and the remote target.
   */
  confirm(response: SipResponse): void {
    this.state = 'confirmed';
    const rr = response.headers['record-route'];
    if (rr !== undefined) this.routeSet = structuredClone([...rr].reverse());
    this.refreshTarget(response);
  }

  /**
   * Builds a request inside the dialog (RFC 3261 §12.2.1.1): To with the remote tag, From with the
   * local tag, the Call-ID, CSeq one above the local CSeq (the local CSeq moves; ACK and CANCEL
   * take `cseq` instead), Request-URI and Route from the route set — the remote target and the
   * whole set when the first route is a loose router, else (strict routing) the first route as
   * Request-URI and the rest plus the remote target as Route. No Via: the transaction layer adds it.
   * @throws SipError `invalid-state` for a terminated dialog
   */
  createRequest(method: string, options: { headers?: Headers; body?: string; cseq?: number } = {}): SipRequest {
    if (this.state === 'terminated') throw new SipError('invalid-state', `the dialog is terminated: cannot send ${method}`);
    const seq = options.cseq ?? ++this.localSeq;
    const headers: Headers = {
      to: structuredClone(this.remoteUri),
      from: structuredClone(this.localUri),
      'call-id': this.id.callId,
      cseq: { seq, method },
      'max-forwards': '70',
    };
    let uri = this.remoteTarget;
    const first = this.routeSet[0];
    if (first !== undefined) {
      if (isLooseRouter(first)) {
        headers.route = structuredClone(this.routeSet);
      } else {
        uri = routeUriText(first);
        headers.route = [...structuredClone(this.routeSet.slice(1)), { uri: this.remoteTarget, params: {} }];
      }
    }
    Object.assign(headers, options.headers);
    const body = options.body ?? '';
    return { method, uri, version: '2.0', headers, content: body };
  }
}
