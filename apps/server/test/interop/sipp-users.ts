/**
 * The two sipp runs most interop tests start: a user registering through the server, and alice
 * calling bob through it, each answering the server's digest challenge (RFC 3261 §22.2, §22.3)
 * with the test password of its user.
 */
import { PASSWORDS, REALM } from './server-harness.js';
import { startSipp, type Sipp } from './sipp.js';

/** Options of {@link sippRegister}. */
export interface SippRegisterOptions {
  /** sipp's local port (`-p`), the registered Contact's; default a free one. */
  port?: number;
  /** The Expires asked for, seconds. Default 60. */
  expires?: number;
  /** Default the user's entry in PASSWORDS. */
  password?: string;
  /** Default register.xml. */
  scenario?: string;
  protocol?: 'UDP' | 'TCP';
}

/** Starts sipp registering `user` through the server at `remote` (`host:port`). */
export function sippRegister(work: string, remote: string, user: string, options: SippRegisterOptions = {}): Promise<Sipp> {
  return startSipp(work, {
    scenario: options.scenario ?? 'register.xml',
    remote,
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
    service: user,
    auth: { user, password: options.password ?? PASSWORDS[user] ?? '', uri: REALM },
    keys: { domain: REALM, expires: String(options.expires ?? 60) },
  });
}

/** Options of {@link sippCall}. */
export interface SippCallOptions {
  /** Default bob. */
  callee?: string;
  /** Default alice. */
  caller?: string;
  protocol?: 'UDP' | 'TCP';
}

/** Starts a sipp UAC in which `caller` calls `callee` through the server at `remote` with `scenario`. */
export function sippCall(work: string, remote: string, scenario: string, options: SippCallOptions = {}): Promise<Sipp> {
  const callee = options.callee ?? 'bob';
  const caller = options.caller ?? 'alice';
  return startSipp(work, {
    scenario,
    remote,
    ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
    service: callee,
    auth: { user: caller, password: PASSWORDS[caller] ?? '', uri: `${callee}@${REALM}` },
    keys: { caller, domain: REALM },
  });
}
