/**
 * SDP offer/answer bookkeeping (RFC 3264 §4, RFC 3261 §13.2.1, RFC 3262 §5, RFC 3311 §5.1): who
 * owes an answer, and the last SDP each side agreed to. No media is touched: SDP is opaque text.
 * @see RFC 3264, RFC 6337 (the offer/answer cases in INVITE, PRACK and UPDATE)
 */
import { SipError } from '@sipts/message';

/** `stable`: no offer outstanding; otherwise whose offer waits for an answer. */
export type OfferAnswerState = 'stable' | 'local-offer' | 'remote-offer';

/**
 * One dialog's offer/answer state. An offer while another is outstanding is glare: the caller
 * answers 491 (RFC 3311 §5.2, RFC 3261 §14.2) or must not send it.
 * @example
 * const oa = new OfferAnswer();
 * oa.sendOffer(sdp); oa.receiveAnswer(theirs); oa.state // 'stable'
 * @see RFC 3264 §4
 */
export class OfferAnswer {
  state: OfferAnswerState = 'stable';
  /** The last SDP we sent that was offered or answered. */
  local: string | undefined;
  /** The last SDP the peer sent that was offered or answered. */
  remote: string | undefined;
  /** The SDP of the outstanding offer. */
  pending: string | undefined;

  /** True when an offer can be made now (none outstanding). */
  get canOffer(): boolean {
    return this.state === 'stable';
  }

  /**
   * We send an offer.
   * @throws SipError `invalid-state` when an offer is outstanding (RFC 3264 §4: one at a time)
   */
  sendOffer(sdp: string): void {
    if (this.state !== 'stable') throw new SipError('invalid-state', `cannot offer: ${this.state}`);
    this.state = 'local-offer';
    this.pending = sdp;
  }

  /**
   * The peer's answer to our offer.
   * @throws SipError `invalid-state` when we made no offer
   */
  receiveAnswer(sdp: string): void {
    if (this.state !== 'local-offer') throw new SipError('invalid-state', `an answer with no offer outstanding (${this.state})`);
    this.local = this.pending;
    this.remote = sdp;
    this.pending = undefined;
    this.state = 'stable';
  }

  /**
   * The peer sent an offer.
   * @throws SipError `invalid-state` (status 491) when an offer is outstanding: glare
   */
  receiveOffer(sdp: string): void {
    if (this.state !== 'stable') throw new SipError('invalid-state', `an offer while ${this.state}: glare`, { status: 491 });
    this.state = 'remote-offer';
    this.pending = sdp;
  }

  /**
   * We answer the peer's offer.
   * @throws SipError `invalid-state` when the peer made no offer
   */
  sendAnswer(sdp: string): void {
    if (this.state !== 'remote-offer') throw new SipError('invalid-state', `an answer with no offer outstanding (${this.state})`);
    this.remote = this.pending;
    this.local = sdp;
    this.pending = undefined;
    this.state = 'stable';
  }

  /** The outstanding offer was rejected (a non-2xx to the request that carried it): back to stable. */
  rollback(): void {
    this.state = 'stable';
    this.pending = undefined;
  }

  /** A body seen in a message of the dialog: an offer when stable, an answer when we offered. */
  receiveBody(sdp: string): 'offer' | 'answer' {
    if (this.state === 'local-offer') {
      this.receiveAnswer(sdp);
      return 'answer';
    }
    this.receiveOffer(sdp);
    return 'offer';
  }
}
