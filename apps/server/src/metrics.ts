/**
 * Prometheus metrics (prom-client), in a registry of the server's own (several servers in one
 * process, as in tests, do not collide). Traffic counters are fed from the transport's trace hook,
 * with method labels limited to known SIP methods (hostile input cannot grow the label set).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { TraceHook, TransportStats } from '@sipts/transport';

const METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'PUBLISH']);

/** Where the gauges read their values at scrape time. */
export interface MetricSources {
  registrations(): Promise<number>;
  transactions(): number;
  transportStats(): TransportStats | undefined;
  /** Entries in the failed-authentication tables (auth-guard.ts). */
  authGuardSizes?(): { sources: number; users: number };
}

/** Who an authentication metric is about: the source address or the user (AOR). */
export type AuthSubject = 'source' | 'user';

/** The server's metrics. */
export interface ServerMetrics {
  readonly registry: Registry;
  /** The trace hook to give the transport: counts requests by method and responses by code. */
  readonly trace: TraceHook;
  /** A REGISTER was rejected (`auth`, `rate-limit`, `expires-too-brief`, `bad-request`, `forbidden`, …). */
  registerRejected(reason: string): void;
  /** A limit was hit (see {@link LimitName}). */
  limited(limit: LimitName): void;
  /** A trust rule acted on a request (see {@link TrustRule}). */
  trust(rule: TrustRule): void;
  /** A failed authentication (wrong password or an unknown user's credentials). */
  authFailed(): void;
  /** A source or a user started a cool-down after too many failures. */
  authBlocked(subject: AuthSubject): void;
  /** A request answered 403 because its source or user is in a cool-down. */
  authRefused(subject: AuthSubject): void;
}

/**
 * The limits counted in `sipts_limited_total{limit}`: `requests-per-source` (dropped or 503),
 * `bindings-per-aor` (REGISTER refused), `self-contact` (a Contact naming the server refused),
 * `forks-per-request` (targets beyond the cap not tried), `register-200-too-big` (a UDP 200 that
 * lists only the request's own contacts).
 */
export type LimitName = 'requests-per-source' | 'bindings-per-aor' | 'self-contact' | 'forks-per-request' | 'register-200-too-big';

/**
 * The trust rules counted in `sipts_trust_total{rule}`: `dialog-token-invalid` (a request with a
 * To tag and no valid dialog token, handled as out-of-dialog), `ack-dropped` (an ACK outside a
 * dialog we record-routed), `route-dropped` (a caller's Route removed from a request to a local
 * user), `identity-removed` (P-Asserted-Identity or P-Preferred-Identity from outside removed),
 * `identity-asserted` (P-Asserted-Identity set from the authenticated user), `path-dropped` (a
 * REGISTER's Path whose top entry is not the hop that sent it, see registrar/path.ts).
 */
export type TrustRule = 'dialog-token-invalid' | 'ack-dropped' | 'route-dropped' | 'identity-removed' | 'identity-asserted' | 'path-dropped';

const SIP_PREFIX = new TextEncoder().encode('SIP/2.0 ');

function firstToken(bytes: Uint8Array): string {
  let end = 0;
  while (end < bytes.length && end < 16 && bytes[end] !== 0x20) end++;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function statusOf(bytes: Uint8Array): string | undefined {
  if (bytes.length < SIP_PREFIX.length + 3) return undefined;
  for (let i = 0; i < SIP_PREFIX.length; i++) if (bytes[i] !== SIP_PREFIX[i]) return undefined;
  const code = new TextDecoder().decode(bytes.subarray(SIP_PREFIX.length, SIP_PREFIX.length + 3));
  return /^[1-6]\d\d$/.test(code) ? code : undefined;
}

/**
 * Creates the metrics registry and collectors.
 * @example const m = createMetrics(sources); createStack({ trace: m.trace }); await m.registry.metrics()
 */
export function createMetrics(sources: MetricSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sipts_' });
  new Gauge({
    name: 'sipts_registrations',
    help: 'Unexpired bindings in the location store',
    registers: [registry],
    async collect() {
      try {
        this.set(await sources.registrations());
      } catch {
        // The store is unreachable: /health says so; the gauge keeps its last value.
      }
    },
  });
  new Gauge({
    name: 'sipts_transactions',
    help: 'Live SIP transactions (client and server)',
    registers: [registry],
    collect() {
      this.set(sources.transactions());
    },
  });
  new Gauge({
    name: 'sipts_active_flows',
    help: 'Open connections (TCP, TLS, WS, WSS flows)',
    registers: [registry],
    collect() {
      const s = sources.transportStats();
      this.set(s === undefined ? 0 : s.connectionsOpened - s.connectionsClosed);
    },
  });
  let parseErrorsSeen = 0;
  new Counter({
    name: 'sipts_parse_errors_total',
    help: 'Malformed messages: requests answered 400 and unparseable input dropped',
    registers: [registry],
    collect() {
      const s = sources.transportStats();
      const now = s === undefined ? parseErrorsSeen : s.badRequestsAnswered + s.dropped;
      if (now > parseErrorsSeen) this.inc(now - parseErrorsSeen);
      parseErrorsSeen = now;
    },
  });
  const keepAlivesSeen = { crlf: 0, stun: 0 };
  new Counter({
    name: 'sipts_keepalives_answered_total',
    help: 'RFC 5626 keep-alives answered: CRLF pings on connections, STUN Binding requests on the UDP port',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const s = sources.transportStats();
      if (s === undefined) return;
      const now = { crlf: s.keepAlivesAnswered - s.stunRequestsAnswered, stun: s.stunRequestsAnswered };
      for (const kind of ['crlf', 'stun'] as const) {
        if (now[kind] > keepAlivesSeen[kind]) this.inc({ kind }, now[kind] - keepAlivesSeen[kind]);
        keepAlivesSeen[kind] = now[kind];
      }
    },
  });
  let silentSeen = 0;
  new Counter({
    name: 'sipts_connections_silent_closed_total',
    help: 'Inbound connections closed for sending no valid SIP message within limits.firstRequestSeconds',
    registers: [registry],
    collect() {
      const now = sources.transportStats()?.silentConnectionsClosed ?? silentSeen;
      if (now > silentSeen) this.inc(now - silentSeen);
      silentSeen = now;
    },
  });
  const requests = new Counter({ name: 'sipts_requests_total', help: 'SIP requests received, by method', labelNames: ['method'] as const, registers: [registry] });
  const responses = new Counter({ name: 'sipts_responses_total', help: 'SIP responses sent, by status code', labelNames: ['code'] as const, registers: [registry] });
  const rejected = new Counter({ name: 'sipts_register_rejected_total', help: 'REGISTER requests rejected, by reason', labelNames: ['reason'] as const, registers: [registry] });
  const limited = new Counter({ name: 'sipts_limited_total', help: 'Requests refused or trimmed by a configured limit, by limit', labelNames: ['limit'] as const, registers: [registry] });
  const trust = new Counter({ name: 'sipts_trust_total', help: 'Requests a trust rule acted on, by rule', labelNames: ['rule'] as const, registers: [registry] });

  const authFailures = new Counter({ name: 'sipts_auth_failures_total', help: 'Failed authentications (wrong password, or credentials for an unknown user)', registers: [registry] });
  const authBlocks = new Counter({ name: 'sipts_auth_blocks_total', help: 'Cool-downs started after too many failed authentications, by subject (source or user)', labelNames: ['subject'] as const, registers: [registry] });
  const authRefusals = new Counter({ name: 'sipts_auth_refused_total', help: 'Requests answered 403 during a cool-down, by subject (source or user)', labelNames: ['subject'] as const, registers: [registry] });
  new Gauge({
    name: 'sipts_auth_guard_entries',
    help: 'Entries in the failed-authentication tables, by subject (source or user)',
    labelNames: ['subject'] as const,
    registers: [registry],
    collect() {
      const s = sources.authGuardSizes?.();
      this.set({ subject: 'source' }, s?.sources ?? 0);
      this.set({ subject: 'user' }, s?.users ?? 0);
    },
  });

  return {
    registry,
    trace: {
      onReceive(bytes) {
        if (bytes.length < 4 || statusOf(bytes) !== undefined) return;
        const method = firstToken(bytes);
        if (method === '' ) return; // keep-alive CRLFs
        requests.inc({ method: METHODS.has(method) ? method : 'other' });
      },
      onSend(bytes) {
        const code = statusOf(bytes);
        if (code !== undefined) responses.inc({ code });
      },
    },
    registerRejected(reason) {
      rejected.inc({ reason });
    },
    limited(limit) {
      limited.inc({ limit });
    },
    trust(rule) {
      trust.inc({ rule });
    },
    authFailed() {
      authFailures.inc();
    },
    authBlocked(subject) {
      authBlocks.inc({ subject });
    },
    authRefused(subject) {
      authRefusals.inc({ subject });
    },
  };
}
