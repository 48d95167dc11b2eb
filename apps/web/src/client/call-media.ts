/**
 * The media side of a call, as the phone sees it: SDP in, SDP out (RFC 3264 offer/answer), and a
 * count of audio bytes received. The browser's implementation is {@link createWebRtcMedia} in
 * `webrtc-media.ts`; tests use a fake.
 * @see RFC 3264 §5 (the offer), §6 (the answer)
 */

/** One call's media. Every method may be called once, in the order of one offer/answer exchange. */
export interface CallMedia {
  /** Our offer, complete (every ICE candidate gathered: SIP carries no trickle). */
  offer(): Promise<string>;
  /** Our answer to the peer's `offer`, complete. */
  answer(offer: string): Promise<string>;
  /** Applies the peer's answer to our offer. */
  accept(answer: string): Promise<void>;
  /** Audio payload bytes received so far (0 before any RTP), or undefined when unknown. */
  bytesReceived(): Promise<number | undefined>;
  /** Stops the microphone and closes the connection; safe to call more than once. */
  close(): void;
}

/** Makes the media of a new call. */
export type CallMediaFactory = () => CallMedia;

/** The microphone could not be used (denied, absent) or the SDP was refused by the browser. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
}
