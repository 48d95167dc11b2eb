/**
 * The server secret: the one HMAC key behind digest nonces, flow tokens and the Record-Route
 * token. It must outlive a restart (else every nonce a phone holds is unknown afterwards and it is
 * answered 401 without `stale=true`, RFC 7616 §3.3) and be the same on every instance that shares
 * a store (else one instance's nonce or token is rejected by the next).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import type { ServerConfig } from './config/index.js';
import type { LocationStore } from './store/index.js';

/** The name of the secret file inside the data dir. */
export const SECRET_FILE = 'secret';

/** Where the secret came from (logged at start, never the value). */
export type SecretSource = 'config' | 'file' | 'store' | 'process';

/** The server secret and its origin. */
export interface ServerSecret {
  /** At least 16 characters (a generated one is 64 hex digits, 256 bits). */
  value: string;
  source: SecretSource;
  /** The file it was read from or written to (source `file`). */
  file?: string;
}

/** What {@link serverSecret} may use besides the configuration. */
export interface ServerSecretOptions {
  /** The opened location store: a shared one (Redis) keeps the secret for every instance. */
  store?: LocationStore | undefined;
  logger?: PinoLogger | undefined;
}

const MIN_LENGTH = 16;

/** A fresh 256-bit secret as hex. */
function generate(): string {
  return randomBytes(32).toString('hex');
}

/** Reads the secret file, creating it (mode 0600, atomically) when absent. @throws Error when it is unreadable or too short */
function fromFile(file: string, logger: PinoLogger | undefined): string {
  mkdirSync(dirname(file), { recursive: true });
  // Written whole to a temporary file, then linked into place: a process starting at the same time
  // finds either no file or the complete one, never a half-written one; the first link wins.
  const temporary = `${file}.${String(process.pid)}.tmp`;
  try {
    writeFileSync(temporary, `${generate()}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600); // the umask may only have narrowed the mode; be explicit
    linkSync(temporary, file);
    logger?.info({ file }, 'created the server secret');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`server secret: cannot create ${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    rmSync(temporary, { force: true });
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) logger?.warn({ file, mode: mode.toString(8) }, 'the server secret file is readable by other users: chmod 600 it');
  const value = readFileSync(file, 'utf8').trim();
  if (value.length < MIN_LENGTH) throw new Error(`server secret: ${file} holds fewer than ${String(MIN_LENGTH)} characters`);
  return value;
}

/**
 * The secret every keyed HMAC of the server uses (digest nonces, flow tokens, Record-Route
 * tokens). In order: `auth.secret`; the file `auth.secretFile`; for a Redis store, the one kept in
 * Redis (the first instance to start writes it, the others read it); for SQLite, `<dataDir>/secret`
 * (created once, mode 0600); for the memory store, a random one per process.
 * @throws Error when a secret file cannot be created or read, or the store cannot be reached
 * @example const { value } = await serverSecret(config, { store }); createFlowTable({ secret: value });
 * @see RFC 7616 §3.3 (nonce secret-data), §5.5
 */
export async function serverSecret(config: ServerConfig, options: ServerSecretOptions = {}): Promise<ServerSecret> {
  if (config.auth.secret !== null) return { value: config.auth.secret, source: 'config' };
  if (config.auth.secretFile !== null) {
    const file = resolve(config.auth.secretFile);
    return { value: fromFile(file, options.logger), source: 'file', file };
  }
  if (config.store.kind === 'redis' && options.store?.sharedSecret !== undefined) {
    return { value: await options.store.sharedSecret(generate()), source: 'store' };
  }
  if (config.store.kind === 'sqlite') {
    const file = resolve(join(config.dataDir, SECRET_FILE));
    return { value: fromFile(file, options.logger), source: 'file', file };
  }
  return { value: generate(), source: 'process' };
}
