/**
 * @sipts/dialog: dialogs (RFC 3261 §12), INVITE sessions (§13–§15), reliable provisional responses
 * (RFC 3262), UPDATE (RFC 3311), session timers (RFC 4028), SDP offer/answer bookkeeping (RFC 3264)
 * and a B2BUA. Neutral (browsers and Node); `@sipts/dialog/node` binds a user agent to Node sockets.
 * @packageDocumentation
 */
export { Dialog, tagOf, type DialogId, type DialogInit, type DialogState } from './dialog.js';
export { OfferAnswer, type OfferAnswerState } from './offer-answer.js';
export { startRetransmission, type Retransmission, type RetransmitOptions } from './retransmit.js';
export { CallFailedError } from './errors.js';
export { Emitter, type EventMap } from './emitter.js';
export type { SessionTimerOptions } from './core.js';
export type { Resolve } from './sender.js';
export { Session, type InDialogOptions, type OfferHandler, type SessionEnd, type SessionEvents } from './session.js';
export { MAX_SESSION_EXPIRES, SessionTimer, type Refresher } from './session-timer.js';
export { IncomingCall, type AnswerOptions, type IncomingCallEvents } from './incoming-call.js';
export type { InviteOptions } from './outgoing-call.js';
export { createUserAgent, UserAgent, type UserAgentEvents, type UserAgentOptions } from './user-agent.js';
export { createB2BUA, type B2BUACall, type B2BUAOptions } from './b2bua.js';
