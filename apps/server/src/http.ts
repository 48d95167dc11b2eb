/**
 * The operations HTTP endpoint: `GET /metrics` (Prometheus text format) and `GET /health` (JSON
 * with the location store's reachability; 503 when the store does not answer).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the endpoint reports. */
export interface HttpSources {
  registry: Registry;
  /** Resolves when the store answers; rejects or times out when it does not. */
  checkStore(): Promise<void>;
  instanceId: string;
  startedAt: number;
}

/** A started HTTP endpoint. */
export interface OpsHttp {
  readonly port: number;
  close(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`no answer in ${String(ms)} ms`));
    }, ms);
    p.then(resolve, reject).finally(() => {
      clearTimeout(t);
    });
  });
}

/**
 * Starts the endpoint on `address:port` (0 = any free port).
 * @throws Error (rejection) when the port cannot be bound
 * @example const http = await startHttp('127.0.0.1', 9090, sources); await http.close()
 */
export async function startHttp(address: string, port: number, sources: HttpSources): Promise<OpsHttp> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      sources.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': sources.registry.contentType }).end(text);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(e instanceof Error ? e.message : 'error');
        },
      );
      return;
    }
    if (path === '/health') {
      withTimeout(sources.checkStore(), 2000).then(
        () => ({ reachable: true }),
        (e: unknown) => ({ reachable: false, error: e instanceof Error ? e.message : String(e) }),
      ).then((store) => {
        const body = { status: store.reachable ? 'ok' : 'degraded', instanceId: sources.instanceId, uptimeSeconds: Math.round((Date.now() - sources.startedAt) / 1000), store };
        res.writeHead(store.reachable ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }, () => undefined);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
