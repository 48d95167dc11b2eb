/**
 * The flow both registrar-redirector examples (with and without transactions) are tested on:
 * sipp registers a user, then an INVITE for that user is redirected to the Contact it registered.
 * @see RFC 3261 §10.3 (registrar), §8.3 (redirect)
 */
import { expect } from 'vitest';
import type { SippRun } from './sipp.js';
import type { ExampleApp } from './use-example-app.js';
import { addrUri, header, type WireMessage } from './wire.js';

/** The sipp transport, the user, and the protocol the app logs for it. */
export const REGISTER_CASES = [
  ['u1', 'alice', 'UDP'],
  ['t1', 'tom', 'TCP'],
] as const;

/** What {@link registerThenRedirect} saw. */
export interface RegisterThenRedirect {
  /** The REGISTER run. */
  reg: SippRun;
  /** Its 200. */
  ok: WireMessage;
  /** The Contact URIs sipp registered. */
  contact: string[];
}

/**
 * Registers `user` with sipp over `transport`, then sends an INVITE for that user; expects both
 * runs to exit 0, the 200 to the REGISTER to list the registered Contact, and the 302 to redirect
 * to it.
 */
export async function registerThenRedirect(ex: ExampleApp, user: string, transport: 'u1' | 't1'): Promise<RegisterThenRedirect> {
  const reg = await ex.sipp('register', { service: user, transport });
  const contact = header(reg.sent[0]!, 'contact').map(addrUri);
  const ok = reg.received.find((m) => m.status === 200)!;
  expect(header(ok, 'contact').map(addrUri)).toEqual(contact);
  const call = await ex.sipp('invite-302', { service: user, transport });
  const moved = call.received.find((m) => m.status === 302)!;
  expect(header(moved, 'contact').map(addrUri)).toEqual(contact);
  return { reg, ok, contact };
}
