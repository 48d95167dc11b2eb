/**
 * Test support: a server on loopback with every port picked by the OS and a memory store, and
 * user agents built from our own stack (`createStack`) and digest client.
 */
import { createDigestClient, type DigestClient } from '@sipts/digest';
import { makeResponse, type NameAddr, type SipRequest, type SipResponse } from '@sipts/message';
import type { ServerTransactionHandle } from '@sipts/transaction';
import { createStack, type Stack } from '@sipts/transaction/node';
import { generateBranch, generateTag, type Remote, type Target, type TransportProtocol } from '@sipts/transport';
import { pino } from 'pino';
import { parseConfig, type ServerConfig } from '../src/config/index.js';
import { createServer, type SiptsServer } from '../src/server.js';
import { createMemoryStore, type LocationStore } from '../src/store/index.js';

/** The demo users of the embedded config. */
export const USERS = [
  { user: 'alice', ha1: { md5: '1c738037ae7af3d79a2e4c57ac1c9324', sha256: '5560932babe541cfa557131ee8232520e981452bc3c8b8c59d3477cfce073c73' } },
  { user: 'bob', ha1: { md5: '106f423dcf6dbde18ee03495ca7384a3', sha256: 'eca03822d91b7c50aec15fea36dcfbe2f0f52481301e09f5ed287a40b5e9cdac' } },
];
export const PASSWORDS: Record<string, string> = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };

/** A server and what tests need from it. */
export interface TestServer {
  server: SiptsServer;
  store: LocationStore;
  config: ServerConfig;
  /** Where a UA sends to reach the server over `protocol`. */
  target(protocol: TransportProtocol): Target;
  clock: { now: number };
  stop(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with free ports, a memory store and a controllable clock. */
export async function startServer(overrides: Record<string, unknown> = {}, shared?: LocationStore): Promise<TestServer> {
  const base = { listen: { udp: 0, tcp: 0, ws: 0 }, http: { port: 0 }, users: USERS, store: { kind: 'memory' }, log: { level: 'silent' } };
  const config = parseConfig(deepMerge(base, overrides));
  const store = shared ?? createMemoryStore();
  const clock = { now: Date.now() };
  const server = createServer(config, { store, logger: pino({ level: 'silent' }), now: () => clock.now });
  await server.start();
  const port = (p: TransportProtocol): number => {
    const n = p === 'UDP' ? server.ports.udp : p === 'TCP' ? server.ports.tcp : p === 'WS' ? server.ports.ws : undefined;
    if (n === undefined) throw new Error(`no ${p} port`);
    return n;
  };
  return {
    server,
    store,
    config,
    clock,
    target: (protocol) => ({ protocol, address: '127.0.0.1', port: port(protocol) }),
    async stop() {
      await server.stop();
      if (shared === undefined) await store.close();
    },
  };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const av = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof av === 'object' && av !== null && !Array.isArray(av) ? deepMerge(av as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** A request received by a UA, and how it answered. */
export interface Received {
  request: SipRequest;
  remote: Remote;
}

/** A user agent on its own stack, talking to the test server over one protocol. */
export class TestUa {
  readonly received: Received[] = [];
  /** How the UA answers requests (default 200 with a To tag). */
  answer: (rq: SipRequest, st: ServerTransactionHandle) => void = (rq, st) => {
    void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() }));
  };
  readonly callId = `${generateTag()}@test`;
  cseq = 1;
  readonly auth: DigestClient;
  private waiters: (() => void)[] = [];

  constructor(
    readonly stack: Stack,
    readonly user: string,
    readonly protocol: TransportProtocol,
    readonly server: TestServer,
    password: string,
  ) {
    this.auth = createDigestClient({ username: user, password });
    stack.setRequestHandler((rq, st, remote) => {
      this.received.push({ request: rq, remote });
      for (const w of this.waiters.splice(0)) w();
      this.answer(rq, st);
    });
  }

  /** The UA's Contact URI: its UDP/TCP listening port, or a `.invalid` host over WebSocket (RFC 7118). */
  get contactUri(): string {
    if (this.protocol === 'WS') return `sip:${this.user}@${this.user}-browser.invalid;transport=ws`;
    const l = this.stack.transport.listening[0];
    return `sip:${this.user}@127.0.0.1:${String(l?.port ?? 0)}${this.protocol === 'TCP' ? ';transport=tcp' : ''}`;
  }

  /** Builds a request from this user. */
  request(method: string, uri: string, to: string, extra: SipRequest['headers'] = {}, content = ''): SipRequest {
    return {
      method,
      uri,
      version: '2.0',
      headers: {
        via: [{ version: '2.0', protocol: this.protocol, host: '', port: undefined, params: { branch: generateBranch() } }],
        'max-forwards': '70',
        from: { uri: `sip:${this.user}@localhost`, params: { tag: generateTag() } },
        to: { uri: to, params: {} },
        'call-id': method === 'REGISTER' ? this.callId : `${generateTag()}@test`,
        cseq: { seq: this.cseq++, method },
        ...extra,
      },
      content,
    };
  }

  /** Sends through the server; answers one 401/407 with credentials. */
  async send(rq: SipRequest): Promise<SipResponse> {
    const rs = await this.stack.send(rq, { target: this.server.target(this.protocol) }).final;
    if (rs.status !== 401 && rs.status !== 407) return rs;
    const again = this.auth.authorize(rq, rs);
    this.cseq = (again.headers.cseq?.seq ?? this.cseq) + 1;
    return this.stack.send(again, { target: this.server.target(this.protocol) }).final;
  }

  /** An in-dialog request (RFC 3261 §12.2.1.1) in the dialog a 2xx to one of our requests set up. */
  inDialog(method: string, ok: SipResponse): SipRequest {
    const rq = this.request(method, ok.headers.contact?.[0]?.uri ?? '', '', { route: [...(ok.headers['record-route'] ?? [])].reverse() });
    const { from, to } = ok.headers;
    const callId = ok.headers['call-id'];
    if (from === undefined || to === undefined || callId === undefined) throw new Error('not a dialog-creating response');
    Object.assign(rq.headers, { from, to, 'call-id': callId });
    return rq;
  }

  /** Sends without answering challenges. */
  sendRaw(rq: SipRequest): Promise<SipResponse> {
    return this.stack.send(rq, { target: this.server.target(this.protocol) }).final;
  }

  /** A REGISTER of this user's contact (with `params` on the Contact). */
  registerRequest(options: { expires?: number; contact?: NameAddr[]; headers?: SipRequest['headers'] } = {}): SipRequest {
    const contact = options.contact ?? [{ uri: this.contactUri, params: {} }];
    return this.request('REGISTER', 'sip:localhost', `sip:${this.user}@localhost`, {
      contact,
      ...(options.expires !== undefined ? { expires: String(options.expires) } : {}),
      ...options.headers,
    });
  }

  /** Registers (with authentication); resolves to the final response. */
  register(options: { expires?: number; contact?: NameAddr[]; headers?: SipRequest['headers'] } = {}): Promise<SipResponse> {
    return this.send(this.registerRequest(options));
  }

  /** Resolves once `count` requests have arrived. */
  async waitFor(count: number): Promise<void> {
    while (this.received.length < count) await new Promise<void>((r) => this.waiters.push(r));
  }

  async close(): Promise<void> {
    await this.stack.stop();
  }
}

/** A UA for `user` over `protocol` (UDP and TCP listen on a free port; WS connects out only). */
export async function createUa(server: TestServer, user: string, protocol: TransportProtocol, password = PASSWORDS[user] ?? 'x'): Promise<TestUa> {
  const stack = createStack({
    address: '127.0.0.1',
    udp: protocol === 'UDP' ? { port: 0 } : false,
    tcp: protocol === 'TCP' ? { port: 0 } : false,
    resolver: () => Promise.resolve([server.target(protocol)]),
  });
  await stack.start();
  return new TestUa(stack, user, protocol, server, password);
}
