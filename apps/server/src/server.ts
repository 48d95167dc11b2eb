/**
 * `createServer`: the sipts registrar and proxy. One stack (UDP, TCP, TLS, WS, WSS), the proxy
 * core on it with the router as its route callback, the location store, digest authentication,
 * the flow table, metrics and the operations HTTP endpoint.
 * @see RFC 3261 §10.3, §16; RFC 5626; RFC 7118
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SipResponse } from '@sipts/message';
import { createProxy, OwnAddresses, type Proxy, type ProxyStack } from '@sipts/proxy';
import { admitRequests, createAdmission } from './admission.js';
import { createStack, type Stack, type StackOptions } from '@sipts/transaction/node';
import type { Remote } from '@sipts/transport';
import type { Logger as PinoLogger } from 'pino';
import { createServerAuth } from './auth-wiring.js';
import type { ServerConfig } from './config/index.js';
import { LocalDomains } from './domains.js';
import { createFlowTable, type FlowTable } from './flows.js';
import { createUdpFlowWatch, flowTimerSeconds } from './outbound-flows.js';
import { startHttp, type OpsHttp } from './http.js';
import { createLogger, packageLogger } from './logging.js';
import { createMetrics, type ServerMetrics } from './metrics.js';
import { createRateLimiter } from './rate-limit.js';
import { arrivalOf } from './routing/arrival.js';
import { createDialogTokens, DIALOG_PARAM } from './routing/dialog-token.js';
import { createRouter } from './routing/router.js';
import { serverSecret, type ServerSecret } from './secret.js';
import { createSelfCheck } from './self-check.js';
import { originCheckOf } from './origin.js';
import { selfRouteOf } from './self-route.js';
import { openStore, type LocationStore } from './store/index.js';
import { advertisedHost } from './advertised-host.js';

/** After the last live proxy context of a graceful stop: time left for ACKs of answered calls. */
const ACK_LINGER_MS = 2000;

/** Optional collaborators (tests inject a store, a logger, a clock). */
export interface ServerDeps {
  /** A store to use instead of opening `config.store`; the caller keeps it (not closed by stop). */
  store?: LocationStore;
  logger?: PinoLogger;
  /** The clock for expirations and nonces (ms). Default `Date.now`. */
  now?: () => number;
  /**
   * The key of the digest nonces, dialog and flow tokens, instead of the one `serverSecret`
   * loads (configured, secret file, Redis or data folder; see src/secret.ts).
   */
  secret?: string;
}

/** The actually bound ports (after `start`). */
export interface ServerPorts {
  udp?: number;
  tcp?: number;
  ws?: number;
  wss?: number;
  tls?: number;
  http?: number;
}

/** A running (or startable) server. */
export interface SiptsServer {
  /** Opens the store, binds every transport and the HTTP port. @throws SipError `bind-failed`, Error */
  start(): Promise<void>;
  /** Graceful: new requests get 503, live proxy contexts get up to the grace period, then all closes. */
  stop(): Promise<void>;
  readonly ports: ServerPorts;
  /** This instance's id (the owner of the flows it keeps). */
  readonly instanceId: string;
  readonly metrics: ServerMetrics | undefined;
}

/** The stack options a configuration asks for. */
export function stackOptions(config: ServerConfig): StackOptions {
  const l = config.listen;
  const file = (f: string): Uint8Array => readFileSync(resolve(f));
  const allowOrigin = originCheckOf(config);
  return {
    address: l.address,
    ...(l.publicAddress !== null ? { publicAddress: l.publicAddress } : {}),
    udp: l.udp === false ? false : { port: l.udp, ...(config.limits.udpReceiveBufferBytes > 0 ? { receiveBufferBytes: config.limits.udpReceiveBufferBytes } : {}) },
    tcp: l.tcp === false ? false : { port: l.tcp },
    ...(l.tls !== false
      ? { tls: { port: l.tls.port, cert: file(l.tls.cert), key: file(l.tls.key), ...(l.tls.clientCa !== undefined ? { ca: file(l.tls.clientCa), requestCert: true } : {}) } }
      : {}),
    ...(l.ws !== false ? { ws: { port: l.ws, allowOrigin } } : {}),
    ...(l.wss !== false ? { wss: { port: l.wss.port, cert: file(l.wss.cert), key: file(l.wss.key), allowOrigin } } : {}),
    limits: {
      idleTimeoutMs: config.limits.connectionIdleSeconds * 1000,
      firstMessageTimeoutMs: config.limits.firstRequestSeconds * 1000,
      maxConnections: config.limits.maxConnections,
      maxConnectionsPerAddress: config.limits.connectionsPerAddress,
      maxConnectionsPerIpv6Prefix: config.limits.connectionsPerIpv6Prefix,
    },
    cancel487: false,
    mergedRequests: false,
  };
}

/**
 * Creates the server; nothing is bound or opened until `start()`.
 * @example
 * const server = createServer(loadConfig({ argv: [], env: process.env, cwd: process.cwd() }));
 * await server.start(); console.log(server.ports.udp); await server.stop();
 */
export function createServer(config: ServerConfig, deps: ServerDeps = {}): SiptsServer {
  const log = deps.logger ?? createLogger(config.log.level);
  const now = deps.now ?? (() => Date.now());
  const instanceId = config.instanceId ?? randomUUID();
  const ports: ServerPorts = {};
  let store: LocationStore | undefined;
  let stack: Stack | undefined;
  let proxy: Proxy | undefined;
  let http: OpsHttp | undefined;
  let metrics: ServerMetrics | undefined;
  let purge: NodeJS.Timeout | undefined;
  let sweepUdpFlows: NodeJS.Timeout | undefined;
  let draining = false;
  let started = false;
  let stopping: Promise<void> | undefined;

  async function start(): Promise<void> {
    if (started) throw new Error('the server is already started');
    started = true;
    const opened = deps.store === undefined;
    const st = deps.store ?? openStore(config.store, config.dataDir, { logger: packageLogger(log, 'store'), now, noncesPerUser: config.auth.noncesPerUser });
    store = st;
    let secret: ServerSecret;
    try {
      secret = deps.secret !== undefined ? { value: deps.secret, source: 'config' } : await serverSecret(config, { store: st, logger: log });
    } catch (e) {
      if (opened) await st.close().catch(() => undefined);
      throw e;
    }
    log.info({ source: secret.source, ...(secret.file !== undefined ? { file: secret.file } : {}) }, 'server secret loaded');
    const flows: FlowTable = createFlowTable({ secret: secret.value, limits: { contactsPerUser: config.limits.contactsPerUser } });
    const serverAuth = createServerAuth({ config, now, log, metrics: () => metrics });
    const m = createMetrics({
      registrations: () => st.count(now()),
      transactions: () => stack?.transactions ?? 0,
      transportStats: () => stack?.transport.stats,
      authGuardSizes: () => serverAuth.guard.sizes,
    });
    metrics = m;
    const advertised = advertisedHost(config);
    if (advertised !== undefined && config.listen.publicAddress === null) log.warn({ host: advertised }, 'bound to a wildcard address without listen.publicAddress: advertising an interface address in Record-Route');
    const aliases = [...config.domains, ...(advertised !== undefined ? [advertised] : [])];
    const own = new OwnAddresses(() => stack?.transport.listening ?? [], aliases, advertised);
    const admit = createAdmission({
      limiter: createRateLimiter(config.limits.requestsPerSecondPerSource),
      now,
      retryAfterSeconds: 1,
      refused(rq, remote) {
        m.limited('requests-per-source');
        log.debug({ method: rq.method, from: remote.address }, 'request beyond the per-source rate: refused');
      },
    });
    const idleMs = config.limits.connectionIdleSeconds * 1000;
    const udpFlows = createUdpFlowWatch({ idleMs, max: 100_000 });
    const s = createStack({
      ...stackOptions(config),
      logger: packageLogger(log, 'stack'),
      trace: {
        onReceive(bytes, remote) {
          m.trace.onReceive?.(bytes, remote);
          if (remote.protocol === 'UDP') udpFlows.touch(remote.address, remote.port, now());
        },
        onSend(bytes, remote) {
          m.trace.onSend?.(bytes, remote);
        },
      },
      onKeepAlive(remote) {
        if (remote.protocol === 'UDP') udpFlows.touch(remote.address, remote.port, now());
      },
      onAck(ack, remote) {
        if (!admit(ack, remote)) return;
        proxy?.receiveAck(ack, remote);
      },
      onStrayResponse(rs: SipResponse, remote: Remote) {
        proxy?.receiveStrayResponse(rs, remote);
      },
      onFlowClosed(flowId) {
        // RFC 5626 §5.3 (and RFC 7118 §5): a binding whose flow failed is removed. Plain RFC 3261
        // TCP/TLS bindings stay until they expire and are reached by their Contact.
        if (!flows.forgetFlow(flowId)) return;
        st.removeFlow(instanceId, flowId).then(
          (n) => {
            if (n > 0) log.info({ flowId, removed: n }, 'flow closed: bindings removed');
          },
          (e: unknown) => {
            log.warn({ err: e, flowId }, 'could not remove the bindings of a closed flow');
          },
        );
      },
    });
    stack = s;
    // The proxy core drives a view of the stack that refuses requests beyond the per-source rate.
    const view: ProxyStack = admitRequests(s, admit);
    const domains = new LocalDomains(config.domains, (u) => own.isOwnUri(u));
    const auth = serverAuth.authenticator({ realm: domains.realm, secret: secret.value, nonceCounts: st.nonceCounts });
    const rejected = (reason: string): void => {
      m.registerRejected(reason);
    };
    const selfRoute = selfRouteOf({ config, advertised, listening: () => s.transport.listening, flows });
    // A local caller is trusted with unbound hosts only when it had to authenticate (auth.requests).
    const dialogs = createDialogTokens({ secret: secret.value, identityOf: (u) => domains.identityOf(u), isLocal: (u) => config.auth.requests && domains.aorOf(u) !== undefined });
    const isSelf = createSelfCheck({ own, listening: () => s.transport.listening });
    const route = createRouter({
      proxy: () => {
        if (proxy === undefined) throw new Error('no proxy');
        return proxy;
      },
      store: st,
      auth,
      domains,
      flows,
      dialogs,
      registrar: {
        store: st,
        auth,
        domains,
        expires: config.registrar,
        instanceId,
        now,
        selfRoute,
        onFlowBinding: ({ user, contact, target, removeOnClose }) => {
          flows.rememberContact(user, contact, target);
          if (target.flowId !== undefined) flows.bindFlow(target.flowId, removeOnClose);
          else if (target.protocol === 'UDP' && removeOnClose) udpFlows.watch(`udp:${target.address}:${String(target.port)}`, now());
        },
        rejected,
        maxBindings: config.limits.bindingsPerAor,
        isSelf,
        limited: (l) => {
          m.limited(l);
        },
        warn: (attrs, message) => {
          log.warn(attrs, message);
        },
        flowTimerSeconds: flowTimerSeconds(config.limits),
        pathDropped: () => {
          m.trust('path-dropped');
        },
      },
      targets: { instanceId, isOwnUri: (u) => own.isOwnUri(u), targetOfToken: (t) => flows.targetOfToken(t), isLiveFlow: (id) => flows.isLive(id) },
      limiter: createRateLimiter(config.limits.registerPerSecondPerSource),
      log,
      now,
      forking: config.routing.forking,
      otherDomains: config.routing.otherDomains,
      authRequests: config.auth.requests,
      assertIdentity: config.routing.assertIdentity,
      forksPerRequest: config.limits.forksPerRequest,
      limited: (l) => {
        m.limited(l);
      },
      trust: (r) => {
        m.trust(r);
      },
      draining: () => draining,
      rejected,
    });
    proxy = createProxy(
      view,
      {
        recordRoute: config.routing.recordRoute,
        recordRouteParams: (rq) => {
          const token = dialogs.issue(rq);
          return token === undefined ? undefined : { [DIALOG_PARAM]: token };
        },
        maxSpirals: config.limits.spiralsPerRequest,
        aliases,
        ...(advertised !== undefined ? { recordRouteHost: advertised } : {}),
        logger: packageLogger(log, 'proxy'),
      },
      (rq, remote, removedRoute) => {
        // Our own top Route entries, removed by the core (RFC 3261 §16.4): in-dialog requests and flow tokens need them.
        route(rq, remote, arrivalOf(removedRoute));
      },
    );
    try {
      await s.start();
      for (const l of s.transport.listening) {
        const key = l.protocol.toLowerCase() as 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';
        ports[key] ??= l.port;
      }
      if (config.http.port !== false) {
        http = await startHttp(config.http.address, config.http.port, {
          registry: m.registry,
          checkStore: async () => {
            await st.count(now());
          },
          instanceId,
          startedAt: Date.now(),
        });
        ports.http = http.port;
      }
    } catch (e) {
      proxy.stop();
      await s.stop();
      if (opened) await st.close().catch(() => undefined);
      throw e;
    }
    purge = setInterval(() => {
      st.purgeExpired(now()).then(
        (n) => {
          if (n > 0) log.debug({ purged: n }, 'expired bindings purged');
        },
        (e: unknown) => {
          log.warn({ err: e }, 'purging expired bindings failed');
        },
      );
    }, config.registrar.purgeIntervalSeconds * 1000);
    purge.unref();
    // RFC 5626: an outbound UDP flow that sent nothing (no STUN keep-alive) for the idle limit failed.
    sweepUdpFlows = setInterval(() => {
      for (const flowId of udpFlows.expired(now())) {
        st.removeFlow(instanceId, flowId).then(
          (n) => {
            if (n > 0) log.info({ flowId, removed: n }, 'UDP flow idle past the limit: bindings removed');
          },
          (e: unknown) => {
            log.warn({ err: e, flowId }, 'could not remove the bindings of an idle UDP flow');
          },
        );
      }
    }, Math.max(250, Math.min(60_000, idleMs / 4)));
    sweepUdpFlows.unref();
    log.info({ instanceId, ports }, 'sipts-server started');
  }

  async function stopNow(): Promise<void> {
    draining = true;
    const graceMs = config.limits.shutdownGraceSeconds * 1000;
    const until = Date.now() + graceMs;
    let waited = false;
    while (proxy !== undefined && proxy.contexts > 0 && Date.now() < until) {
      waited = true;
      await new Promise((r) => setTimeout(r, 50));
    }
    // A call answered during the drain still needs its ACK, which the caller sends after the 2xx
    // reached it (RFC 3261 §13.2.2.4; the proxy forwards it statelessly, §16.7): stay up a little
    // longer (ACK_LINGER_MS, within the grace period) so it is not lost with the stack.
    if (waited) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(ACK_LINGER_MS, until - Date.now()))));
    if (purge !== undefined) clearInterval(purge);
    if (sweepUdpFlows !== undefined) clearInterval(sweepUdpFlows);
    proxy?.stop();
    await stack?.stop();
    await http?.close();
    if (deps.store === undefined) await store?.close().catch((e: unknown) => {
      log.warn({ err: e }, 'closing the store failed');
    });
    log.info({ instanceId }, 'sipts-server stopped');
  }

  return {
    start,
    stop() {
      if (!started) return Promise.resolve();
      stopping ??= stopNow();
      return stopping;
    },
    ports,
    instanceId,
    get metrics() {
      return metrics;
    },
  };
}
