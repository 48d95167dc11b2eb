/**
 * The browser user agent against a fake registrar (real digest server, fake transport, fake
 * clock): registration, digest, refresh, outbound, MESSAGE both ways, reconnect, logout, errors.
 */
import { createFakeClock, type FakeClock } from '@sipts/transaction';
import { describe, expect, it } from 'vitest';
import { isClientError, type ClientError } from '../src/client/errors.js';
import { createUserAgent, type RegistrationState, type UserAgentOptions } from '../src/client/user-agent.js';
import { createFakeServer, settle, type FakeServer, type FakeServerOptions } from './client-fake-registrar.js';

function setup(serverOptions: FakeServerOptions = {}, ua: Partial<UserAgentOptions> = {}) {
  const server = createFakeServer(serverOptions);
  const clock: FakeClock = createFakeClock();
  const agent = createUserAgent({
    address: 'alice@localhost',
    password: 'alice-secret',
    server: 'ws://127.0.0.1:8088',
    connect: (url, h) => server.connect(url, h),
    clock,
    now: () => 1_700_000_000_000,
    ...ua,
  });
  const states: RegistrationState[] = [];
  const errors: (ClientError | undefined)[] = [];
  agent.onState((e) => {
    states.push(e.state);
    errors.push(e.error);
  });
  return { server, clock, agent, states, errors };
}

async function failure(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (e) {
    if (isClientError(e)) return e;
    throw e;
  }
  throw new Error('expected a ClientError');
}

function authOf(server: FakeServer, method: string, n: number, header: 'authorization' | 'proxy-authorization' = 'authorization') {
  return server.requests(method)[n]?.headers[header]?.[0];
}

describe('registration', () => {
  it('answers the 401 with SHA-256 and registers over WS with a .invalid Via and Contact', async () => {
    const { server, agent, states } = setup();
    await agent.login();
    expect(agent.state).toBe('registered');
    expect(states).toEqual(['registering', 'registered']);
    const [first, second] = server.requests('REGISTER');
    expect(first?.headers.authorization).toBeUndefined();
    expect(authOf(server, 'REGISTER', 1)?.algorithm).toBe('SHA-256');
    expect(second?.headers.cseq?.seq).toBe((first?.headers.cseq?.seq ?? 0) + 1);
    expect(second?.headers['call-id']).toBe(first?.headers['call-id']);
    const via = second?.headers.via?.[0];
    expect(via?.protocol).toBe('WS');
    expect(via?.host).toMatch(/^[a-z0-9]+\.invalid$/);
    const contact = second?.headers.contact?.[0];
    expect(contact?.uri).toMatch(/^sip:[a-z0-9]+@[a-z0-9]+\.invalid;transport=ws$/);
    expect(contact?.params['+sip.instance']).toMatch(/^"<urn:uuid:[0-9a-f-]{36}>"$/);
    expect(contact?.params['reg-id']).toBe('1');
    expect(second?.uri).toBe('sip:localhost');
    expect(agent.outbound).toBe(false);
  });

  it('registers over WSS with Via WSS and still transport=ws in the Contact (RFC 7118 §5, §5.2)', async () => {
    const urls: string[] = [];
    const server = createFakeServer();
    const connect: UserAgentOptions['connect'] = (url, h) => {
      urls.push(url);
      return server.connect(url, h);
    };
    const { agent } = setup({}, { server: 'wss://sip.example.com/ws', connect });
    await agent.login();
    expect(urls).toEqual(['wss://sip.example.com/ws']);
    const second = server.requests('REGISTER')[1];
    expect(second?.headers.via?.[0]?.protocol).toBe('WSS');
    expect(second?.headers.contact?.[0]?.uri).toMatch(/^sip:[a-z0-9]+@[a-z0-9]+\.invalid;transport=ws$/);
  });

  it('answers with MD5 when the server offers MD5 first', async () => {
    const { server, agent } = setup({ algorithms: ['MD5'] });
    await agent.login();
    expect(authOf(server, 'REGISTER', 1)?.algorithm).toBe('MD5');
  });

  it('adds ob to the Contact when the registrar does outbound', async () => {
    const { server, agent } = setup({ outbound: true });
    await agent.login();
    expect(server.requests('REGISTER')[0]?.headers.contact?.[0]?.uri).not.toMatch(/;ob$/);
    expect(server.requests('REGISTER')[1]?.headers.contact?.[0]?.uri).toMatch(/;transport=ws;ob$/);
    expect(agent.outbound).toBe(true);
  });

  it("gives the registrar's Flow-Timer to the transport's keep-alives (RFC 5626 §4.4.1), and none when absent", async () => {
    for (const [flowTimer, expected] of [[25, 25], [undefined, undefined]] as const) {
      const given: (number | undefined)[] = [];
      const server = createFakeServer({ outbound: true, ...(flowTimer !== undefined ? { flowTimer } : {}) });
      const { agent } = setup({}, {
        connect: (url, h) => ({ ...server.connect(url, h), setFlowTimer: (s: number | undefined) => given.push(s) }),
      });
      await agent.login();
      expect(given).toEqual([expected]);
    }
  });

  it('refreshes before the granted expiry, on the same Call-ID with a higher CSeq', async () => {
    const { server, agent, clock } = setup({ grant: 120 });
    await agent.login();
    expect(server.requests('REGISTER')).toHaveLength(2);
    clock.advance(59_000);
    await settle();
    expect(server.requests('REGISTER')).toHaveLength(2);
    clock.advance(1_000);
    await settle();
    const all = server.requests('REGISTER');
    expect(all).toHaveLength(4);
    expect(all[2]?.headers['call-id']).toBe(all[0]?.headers['call-id']);
    expect(all[2]?.headers.cseq?.seq).toBeGreaterThan(all[1]?.headers.cseq?.seq ?? Infinity);
    expect(agent.state).toBe('registered');
  });

  it('asks again with the Min-Expires of a 423', async () => {
    const { server, agent } = setup({ minExpires: 900 }, { expires: 300 });
    await agent.login();
    expect(agent.state).toBe('registered');
    expect(server.requests('REGISTER').at(-1)?.headers.expires).toBe('900');
  });

  it('says "wrong password" in plain words and closes', async () => {
    const { server, agent, states } = setup({}, { password: 'nope' });
    const e = await failure(agent.login());
    expect(e.kind).toBe('wrong-password');
    expect(e.message).toBe('Wrong user name or password.');
    expect(states).toEqual(['registering', 'failed']);
    expect(server.closed).toBe(1);
    expect(server.requests('REGISTER')).toHaveLength(2);
  });

  it('says the user is unknown when the server answers 404', async () => {
    const { agent } = setup({ unknown404: true }, { address: 'sip:carol@localhost', password: 'x' });
    const e = await failure(agent.login());
    expect(e.kind).toBe('user-unknown');
    expect(e.message).toMatch(/does not know this user/);
  });

  it('says the server is unreachable when nothing can be sent', async () => {
    const { server, agent, states } = setup();
    server.down = true;
    const e = await failure(agent.login());
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(/Cannot reach the server at ws:\/\/127\.0\.0\.1:8088/);
    expect(states.at(-1)).toBe('failed');
  });

  it('refuses a bad address and a bad URL before connecting', () => {
    const server = createFakeServer();
    const connect = server.connect.bind(server);
    expect(() => createUserAgent({ address: 'not an address', password: 'x', server: 'ws://127.0.0.1:8088', connect })).toThrow(/is not a SIP address/);
    expect(() => createUserAgent({ address: 'alice@localhost', password: 'x', server: 'http://127.0.0.1', connect })).toThrow(/is not a WebSocket address/);
    expect(server.sent).toHaveLength(0);
  });

  it('re-registers on the new socket when the old one drops, with backoff while the server is down', async () => {
    const { server, agent, clock, states } = setup({}, { retry: { initialDelayMs: 1000, maxDelayMs: 8000 } });
    await agent.login();
    server.down = true;
    server.drop();
    await settle();
    expect(agent.state).toBe('reconnecting');
    expect(server.requests('REGISTER')).toHaveLength(2);
    server.down = false;
    clock.advance(1250); // the first retry comes within 1 s ± 20 %
    await settle();
    expect(agent.state).toBe('registered');
    expect(server.requests('REGISTER')).toHaveLength(4);
    expect(states).toEqual(['registering', 'registered', 'reconnecting', 'reconnecting', 'registered']);
  });

  it('fails the login (no second attempt) when the socket drops before the first answer', async () => {
    const { server, agent, states } = setup();
    const login = failure(agent.login());
    server.drop();
    const e = await login;
    expect(e.kind).toBe('unreachable');
    await settle();
    expect(states).toEqual(['registering', 'failed']);
    expect(server.requests('REGISTER')).toHaveLength(1);
  });

  it('unregisters on logout (expires 0) and closes the socket', async () => {
    const { server, agent, states } = setup();
    await agent.login();
    await agent.logout();
    const last = server.requests('REGISTER').at(-1);
    expect(last?.headers.expires).toBe('0');
    expect(last?.headers.contact?.[0]?.params.expires).toBe('0');
    expect(last?.headers.authorization).toBeDefined();
    expect(states.slice(-2)).toEqual(['unregistering', 'unregistered']);
    expect(server.closed).toBe(1);
  });
});

describe('MESSAGE', () => {
  it('sends text/plain and answers a 407 with Proxy-Authorization', async () => {
    const { server, agent } = setup({ authRequests: true });
    await agent.login();
    await agent.sendMessage('bob', 'héllo');
    const [first, second] = server.requests('MESSAGE');
    expect(first?.uri).toBe('sip:bob@localhost');
    expect(first?.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(first?.content).toBe('héllo');
    expect(first?.headers['proxy-authorization']).toBeUndefined();
    expect(authOf(server, 'MESSAGE', 1, 'proxy-authorization')?.algorithm).toBe('SHA-256');
    expect(second?.headers.contact).toBeUndefined();
  });

  it('explains a refused message', async () => {
    const { server, agent } = setup();
    await agent.login();
    server.messageStatus = 404;
    const e = await failure(agent.sendMessage('sip:nobody@localhost', 'hi'));
    expect(e.kind).toBe('user-unknown');
    expect(e.message).toBe('There is no user nobody@localhost on this server.');
    server.messageStatus = 480;
    expect((await failure(agent.sendMessage('bob', 'hi'))).message).toBe('bob@localhost is not signed in right now.');
    expect((await failure(agent.sendMessage('@@', 'hi'))).kind).toBe('bad-address');
  });

  it('refuses to send or call before login', async () => {
    const { agent } = setup();
    expect((await failure(agent.sendMessage('bob', 'hi'))).kind).toBe('not-registered');
    expect((await failure(agent.invite({ to: 'sip:bob@localhost', body: 'v=0\r\n' }))).kind).toBe('not-registered');
  });

  it('receives a MESSAGE, answers 200 and reports it; a non-text body gets 415, SUBSCRIBE 405, an INVITE nobody takes 480', async () => {
    const { server, agent } = setup();
    const got: { from: string; text: string; at: number; fromName: string | undefined }[] = [];
    agent.onMessage((m) => got.push(m));
    await agent.login();
    const base = {
      uri: 'sip:x@y.invalid;transport=ws',
      headers: {
        via: [{ version: '2.0', protocol: 'WS', host: '127.0.0.1', port: 8088, params: { branch: 'z9hG4bKin1' } }],
        from: { name: '"Bob"', uri: 'sip:bob@localhost', params: { tag: 'b1' } },
        to: { uri: 'sip:alice@localhost', params: {} },
        'call-id': 'in-1',
        cseq: { seq: 1, method: 'MESSAGE' },
        'max-forwards': '69',
        'content-type': 'text/plain',
      },
      content: 'hi alice',
    };
    server.deliver({ ...base, method: 'MESSAGE' });
    await settle();
    expect(got).toEqual([{ from: 'sip:bob@localhost', fromName: 'Bob', text: 'hi alice', at: 1_700_000_000_000 }]);
    server.deliver({ ...base, method: 'MESSAGE', headers: { ...base.headers, 'call-id': 'in-2', via: [{ ...base.headers.via[0]!, params: { branch: 'z9hG4bKin2' } }], 'content-type': 'application/im-iscomposing+xml' } });
    server.deliver({ ...base, method: 'SUBSCRIBE', headers: { ...base.headers, 'call-id': 'in-3', cseq: { seq: 1, method: 'SUBSCRIBE' }, via: [{ ...base.headers.via[0]!, params: { branch: 'z9hG4bKin3' } }] } });
    const contact = [{ uri: 'sip:b@z.invalid;transport=ws', params: {} }];
    server.deliver({ ...base, method: 'INVITE', headers: { ...base.headers, 'call-id': 'in-4', contact, cseq: { seq: 1, method: 'INVITE' }, via: [{ ...base.headers.via[0]!, params: { branch: 'z9hG4bKin4' } }] } });
    await settle();
    expect(server.responses().map((r) => r.status)).toEqual([200, 415, 405, 480]);
    expect(server.responses()[2]?.headers.allow).toBe('INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE');
    expect(server.responses()[0]?.headers.to?.params.tag).toMatch(/^[a-z2-7]{16}$/);
    expect(got).toHaveLength(1);
  });
});
