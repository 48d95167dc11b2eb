/**
 * The server's authentication, put together from its configuration: the failed-authentication
 * guard (auth.guessing), and the authenticator with the client table (auth.clients), counting
 * failures, cool-downs and refusals in the metrics and logging them.
 */
import type { NonceCountStore } from '@sipts/digest';
import type { Logger as PinoLogger } from 'pino';
import { createAuthenticator, type Authenticator } from './auth.js';
import { createAuthGuard, type AuthGuard } from './auth-guard.js';
import type { ServerConfig } from './config/index.js';
import type { ServerMetrics } from './metrics.js';

/** What {@link createServerAuth} needs. */
export interface ServerAuthOptions {
  config: ServerConfig;
  now: () => number;
  log: PinoLogger;
  /** The metrics, once made (read at each event). */
  metrics: () => ServerMetrics | undefined;
}

/** The guard (for the metrics' table sizes) and a maker of the authenticator for the realm. */
export interface ServerAuth {
  guard: AuthGuard;
  authenticator(options: AuthenticatorKeys): Authenticator;
}

/** Per start: the realm, the server secret and, with a shared store, its nonce counts. */
export interface AuthenticatorKeys {
  realm: string;
  /** The server secret (src/secret.ts). */
  secret: string;
  /** Nonce counts shared by instances (Redis); default this process's memory. */
  nonceCounts?: NonceCountStore | undefined;
}

/**
 * Creates the server's guard and authenticator maker.
 * @example const sa = createServerAuth({ config, now, log, metrics: () => m }); const auth = sa.authenticator({ realm: 'localhost', secret });
 */
export function createServerAuth(options: ServerAuthOptions): ServerAuth {
  const { config, now, log, metrics } = options;
  const guessing = config.auth.guessing;
  const guard = createAuthGuard({
    maxFailures: guessing.maxFailures,
    windowMs: guessing.windowSeconds * 1000,
    cooldownMs: guessing.cooldownSeconds * 1000,
    maxEntries: guessing.maxEntries,
    now,
    onBlock(subject, key) {
      metrics()?.authBlocked(subject);
      log.warn({ subject, key, cooldownSeconds: guessing.cooldownSeconds }, 'too many failed authentications: answering 403 for a cool-down');
    },
  });
  return {
    guard,
    authenticator: ({ realm, secret, nonceCounts }) =>
      createAuthenticator({
        realm,
        users: config.users,
        algorithms: config.auth.algorithms,
        secret,
        nonceCounts,
        noncesPerUser: config.auth.noncesPerUser,
        now,
        clients: config.auth.clients,
        guard,
        onFailure(user, source) {
          metrics()?.authFailed();
          log.info({ user, source }, 'failed authentication');
        },
        onRefused(subject) {
          metrics()?.authRefused(subject);
        },
      }),
  };
}
