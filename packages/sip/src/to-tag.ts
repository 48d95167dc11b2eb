/**
 * The To tag the facade adds to a response the application built without one. Classic apps send
 * `makeResponse(rq, 180)` and `makeResponse(rq, 200)` as they are, and the classic library sent
 * them tagless; RFC 3261 §8.2.6.2 wants a To tag on every response but a 100 (when the request
 * had none), the same one on every response of the transaction (or the 180 and the 200 of one
 * INVITE make two dialogs). A tag the application set is never changed, and a response the stack
 * handed to the application (a proxy forwarding it upstream, §16.7) is sent as it is.
 * @see RFC 3261 §8.2.6.2, §12.1.1, §16.7
 */
import type { NameAddr, Params, SipMessage, SipResponse } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { generateTag, hasMagicCookie } from '@sipts/transport';

/** How {@link ToTags.apply} finds the server transaction of a response: the stack's own lookup. */
export interface ServerTransactionLookup {
  serverTransactionOf(message: SipMessage): ServerTransactionHandle | undefined;
}

/** The To tags of one stack instance's server transactions. */
export interface ToTags {
  /**
   * Remembers a server transaction whose request went to the application, when the stack cannot
   * find it again by itself (an RFC 2543 request: no magic cookie in its branch).
   */
  track(st: ServerTransactionHandle): void;
  /** Marks a response the stack handed to the application: it is never tagged. */
  received(response: SipResponse): void;
  /**
   * Adds the To tag `response` needs, in place (the application may read it back): the tag its
   * transaction (found by `stack`) already answered with, else a new one, remembered for the
   * transaction.
   * @returns the live server transaction it found for the response, if it looked for one: the
   * response can be sent through it without matching it again (RFC 3261 §17.2.3)
   */
  apply(response: SipResponse, stack: ServerTransactionLookup): ServerTransactionHandle | undefined;
  /** Forgets every transaction (the stack stopped). */
  clear(): void;
}

/** Below this many remembered transactions, no sweep of the ended ones. */
const MIN_SWEEP = 256;

function tagOf(nameAddr: NameAddr | undefined): string {
  if (nameAddr === undefined) return '';
  // An application may build a To without params.
  const params = nameAddr.params as Params | undefined;
  const tag = params?.tag;
  return typeof tag === 'string' ? tag : '';
}

/** True when the message's top Via carries an RFC 3261 branch (a transaction key of its own). */
function hasRfc3261Branch(m: SipMessage): boolean {
  return hasMagicCookie(m.headers.via?.[0]?.params.branch);
}

/**
 * The transaction of an RFC 2543 request or its response: top Via (branch, sent-by), Call-ID,
 * CSeq and From tag, which a response built from its request copies (RFC 3261 §8.2.6.2).
 */
function keyOf(m: SipMessage): string | undefined {
  const via = m.headers.via?.[0];
  const cseq = m.headers.cseq;
  if (via === undefined || cseq === undefined) return undefined;
  const branch = via.params.branch;
  return [typeof branch === 'string' ? branch : '', via.host.toLowerCase(), String(via.port ?? ''), m.headers['call-id'] ?? '', String(cseq.seq), cseq.method, tagOf(m.headers.from)].join('\n');
}

/**
 * Creates the To tag memory of one stack instance. The stack finds the server transaction of an
 * RFC 3261 response itself (§17.2.3), so nothing is kept per transaction for those. RFC 2543
 * transactions are remembered until the application sends a final response through them; the
 * ones that end otherwise are swept once they are terminated, when the table has doubled since
 * the last sweep, so it holds at most about twice the live ones.
 * @example const toTags = createToTags(); stack.setRequestHandler((rq, st) => { toTags.track(st); … }); toTags.apply(rs, stack); await stack.respond(rs);
 * @see RFC 3261 §8.2.6.2, §17.2.3
 */
export function createToTags(): ToTags {
  const legacy = new Map<string, ServerTransactionHandle>();
  /** Tags generated for a transaction by a provisional response it could not send (the handle's `toTag` records sent ones). */
  const generated = new WeakMap<ServerTransactionHandle, string>();
  const fromStack = new WeakSet<SipResponse>();
  let sweepAt = MIN_SWEEP;

  function sweep(): void {
    for (const [key, st] of legacy) if (st.state === 'terminated') legacy.delete(key);
    sweepAt = Math.max(MIN_SWEEP, legacy.size * 2);
  }

  /** The live server transaction of `response`; an RFC 2543 one is forgotten at its final response. */
  function lookup(response: SipResponse, stack: ServerTransactionLookup): ServerTransactionHandle | undefined {
    if (hasRfc3261Branch(response)) return stack.serverTransactionOf(response);
    const key = keyOf(response);
    const st = key === undefined ? undefined : legacy.get(key);
    if (st === undefined || key === undefined) return undefined;
    if (st.state === 'terminated' || response.status >= 200) legacy.delete(key);
    return st.state === 'terminated' ? undefined : st;
  }

  return {
    track(st) {
      if (hasRfc3261Branch(st.request)) return;
      const key = keyOf(st.request);
      if (key === undefined) return;
      if (legacy.size >= sweepAt) sweep();
      legacy.set(key, st);
    },
    received(response) {
      fromStack.add(response);
    },
    apply(response, stack) {
      // §8.2.6.2: a 100 keeps the (absent) tag of its request; a response of the stack is not ours.
      const to = response.headers.to;
      if (response.status <= 100 || to === undefined || tagOf(to) !== '' || fromStack.has(response)) return undefined;
      const st = lookup(response, stack);
      // A request inside a dialog carries its To tag; a response that dropped it is the application's choice.
      if (st !== undefined && tagOf(st.request.headers.to) !== '') return st;
      let tag = st === undefined ? undefined : (st.toTag ?? generated.get(st));
      if (tag === undefined) {
        tag = generateTag();
        // A final response ends the transaction's answers; a provisional one's tag is kept for the next (the handle records it once sent).
        if (st !== undefined && response.status < 200) generated.set(st, tag);
      }
      const params = to.params as Params | undefined;
      if (params === undefined) to.params = { tag };
      else params.tag = tag;
      return st;
    },
    clear() {
      legacy.clear();
      sweepAt = MIN_SWEEP;
    },
  };
}
