/**
 * What sessions and calls share with their user agent (internal): the transaction layer, time,
 * the sender, the Contact, and the dialog table.
 */
import type { NameAddr, SipRequest } from '@sipts/message';
import type { Clock, ServerTransactionHandle, TimerValues, TransactionLayer } from '@sipts/transaction';
import type { Logger, Target } from '@sipts/transport';
import type { Dialog } from './dialog.js';
import type { InviteOptions } from './outgoing-call.js';
import type { Session } from './session.js';
import type { SenderContext } from './sender.js';

/** RFC 4028 options of a user agent. */
export interface SessionTimerOptions {
  /** Session-Expires to ask for (UAC) or grant (UAS), in seconds. Default 1800. */
  expires?: number;
  /** Min-SE: the shortest interval accepted (RFC 4028 §5), at least 90. Default 90. */
  minSE?: number;
}

/** Methods a dialog-layer UA allows (RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO, MESSAGE, NOTIFY';

/** The UA as sessions see it. */
export interface UaCore {
  readonly layer: TransactionLayer;
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly logger: Logger;
  readonly sender: SenderContext;
  /** Our Contact for dialogs (RFC 3261 §8.1.1.8, §12.1.1). */
  contact(): NameAddr;
  readonly sessionTimer: Required<SessionTimerOptions> | undefined;
  /** Puts a dialog's session in the table (in-dialog requests and ACKs find it). */
  addDialog(dialog: Dialog, session: DialogUser): void;
  removeDialog(dialog: Dialog): void;
  /** Sends an INVITE from this UA (a B2BUA's second leg). */
  invite(options: InviteOptions): Promise<Session>;
  /** Random milliseconds in [min, max) in 10 ms steps (RFC 3261 §14.1). */
  random(min: number, max: number): number;
}

/** A dialog's user in the UA table. */
export interface DialogUser {
  handleRequest(request: SipRequest, st: ServerTransactionHandle): void;
  handleAck(ack: SipRequest): void;
}

/** The target of a dialog's connection, when it was created over one (TCP, TLS, WS). */
export function dialogTarget(dialog: Dialog): Target | undefined {
  const r = dialog.remote;
  if (r?.flowId === undefined) return undefined;
  return { protocol: r.protocol, address: r.address, port: r.port, flowId: r.flowId };
}
