/**
 * @sipts/transaction: RFC 3261 §17 transactions with RFC 6026, timers on an injected clock, and
 * the transaction layer. `@sipts/transaction/node` adds `createStack` with Node transports.
 * @packageDocumentation
 */
export { DEFAULT_TIMERS, setCallOn, type Clock, type TimerHandle, type TimerTarget, type TimerValues } from './clock.js';
export type {
  ClientTransaction,
  ClientTransactionUser,
  ClientWaitingHandOff,
  ServerTransaction,
  ServerTransactionUser,
  TransactionContext,
  TransactionOptions,
  TransactionState,
} from './types.js';
export { createSystemClock } from './system-clock.js';
export { createDefaultClock, createTimerHeapClock, type TimerHeapClockOptions, type TimerHost } from './timer-heap.js';
export { createFakeClock, type FakeClock } from './fake-clock.js';
export { buildAckForNonSuccess } from './ack.js';
export { createInviteClientTransaction, type InviteClientState } from './invite-client.js';
export { createNonInviteClientTransaction, type NonInviteClientState } from './non-invite-client.js';
export { createInviteServerTransaction, type InviteServerOptions, type InviteServerState } from './invite-server.js';
export { createNonInviteServerTransaction, type NonInviteServerState } from './non-invite-server.js';
export { toTag } from './matching.js';
export { makeCancel } from './cancel.js';
export { synthesize } from './synthesize.js';
export type { OutgoingRequest, RequestUser } from './outgoing-request.js';
export type { ServerTransactionHandle } from './server-handle.js';
export { createTransactionLayer, type TransactionLayer, type TransactionLayerOptions, type TransactionStats } from './transaction-layer.js';
export type { WaitingHandOff, WaitingState } from './waiting.js';
export { DEFAULT_URI_SCHEMES } from './uri-scheme.js';
export { KeyMap, SlotSet, keyHash, type Slotted } from './key-index.js';
export { createStack, nextHop, type SentRequest, type SendOptions, type Stack, type StackCoreOptions, type StackTransport } from './stack.js';
