import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/store/index.js';
import { createUa, startServer, type TestServer, type TestUa } from './helpers.js';

const servers: TestServer[] = [];
const uas: TestUa[] = [];
afterEach(async () => {
  for (const u of uas.splice(0)) await u.close();
  for (const s of servers.splice(0)) await s.stop();
});

describe('two instances sharing one store', () => {
  it('reaches a WebSocket user registered on A through a request sent to B (flow token in the path)', async () => {
    const store = createMemoryStore();
    const a = await startServer({ instanceId: 'a' }, store);
    const b = await startServer({ instanceId: 'b' }, store);
    servers.push(a, b);
    const alice = await createUa(a, 'alice', 'WS');
    const bob = await createUa(b, 'bob', 'UDP');
    uas.push(alice, bob);
    expect((await alice.register()).status).toBe(200);
    const [binding] = await store.lookup('sip:alice@localhost', Date.now());
    expect(binding?.owner).toBe('a');
    expect(binding?.path[0]).toMatch(new RegExp(`@127\\.0\\.0\\.1:${String(a.server.ports.udp)};transport=udp;lr$`));
    const rs = await bob.send(bob.request('MESSAGE', 'sip:alice@localhost', 'sip:alice@localhost', { 'content-type': 'text/plain' }, 'via b'));
    expect(rs.status).toBe(200);
    expect(alice.received[0]?.request.content).toBe('via b');
    // B's Via and A's Via: the request went B → A → flow.
    expect(alice.received[0]?.request.headers.via).toHaveLength(3);
    await store.close();
  });

  it('answers 430 Flow Failed when a peer routes to a WebSocket flow of ours that has closed (RFC 5626 §5.3)', async () => {
    const store = createMemoryStore();
    const a = await startServer({ instanceId: 'a' }, store);
    servers.push(a);
    const alice = await createUa(a, 'alice', 'WS');
    const peer = await createUa(a, 'bob', 'UDP');
    uas.push(peer);
    expect((await alice.register()).status).toBe(200);
    const [binding] = await store.lookup('sip:alice@localhost', Date.now());
    const tokenRoute = binding?.path[0];
    expect(tokenRoute).toBeDefined();
    // Another instance looked the binding up just before alice's connection closed: its request
    // reaches A with A's flow-token Route after A has lost the flow (sent here by a stand-in peer).
    await alice.close();
    const contact = binding?.contact ?? '';
    const rq = peer.request('MESSAGE', contact, contact, { 'content-type': 'text/plain', route: [{ uri: tokenRoute ?? '', params: {} }] }, 'too late');
    rq.headers.from = { uri: 'sip:x@example.org', params: { tag: '1' } };
    expect((await peer.sendRaw(rq)).status).toBe(430);
    await store.close();
  });

  it('refuses a forged flow token', async () => {
    const a = await startServer({ instanceId: 'a' });
    servers.push(a);
    const bob = await createUa(a, 'bob', 'UDP');
    uas.push(bob);
    // A well-formed payload naming bob's own socket, with a MAC we did not make: must not be followed.
    const payload = Buffer.from(`UDP|127.0.0.1|${String(bob.stack.transport.listening[0]?.port)}|`).toString('base64url');
    const rq = bob.request('MESSAGE', 'sip:carol@example.org', 'sip:carol@example.org', { route: [{ uri: `sip:${payload}.AAAAAAAAAAAAAAAA@127.0.0.1:${String(a.server.ports.udp)};lr`, params: {} }] });
    rq.headers.from = { uri: 'sip:x@example.org', params: { tag: '1' } };
    expect((await bob.sendRaw(rq)).status).toBe(403);
    expect(bob.received).toHaveLength(0);
  });
});
