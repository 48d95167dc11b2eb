/**
 * What an RFC 5626 outbound phone gets from the server: `Require: outbound` and `Flow-Timer` in
 * the 200 (§4.4.1, §6); STUN and CRLF keep-alives answered and counted in the metrics (§8); flows
 * without keep-alives dropped at the idle limit with their bindings, flows with them kept; and a
 * user agent on `createStack` noticing the server closing its connection and registering again
 * (§4.2, backoff §4.5).
 */
import type { NameAddr } from '@sipts/message';
import { createFakeClock, type FakeClock } from '@sipts/transaction';
import { createStack } from '@sipts/transaction/node';
import { flowRecoveryDelayMs, type FlowFailureReason, type TransportProtocol } from '@sipts/transport';
import { until } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { flowTimerSeconds } from '../src/outbound-flows.js';
import { createUa, PASSWORDS, startServer, TestUa, type TestServer } from './helpers.js';

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of started.splice(0).reverse()) await c.close();
});

async function server(limits: Record<string, number>): Promise<TestServer> {
  const srv = await startServer({ limits });
  started.push({ close: () => srv.stop() });
  return srv;
}

let instance = 0;
/** An outbound Contact (RFC 5626 §4.2): `+sip.instance` and `reg-id`. */
function outboundContact(ua: TestUa): NameAddr[] {
  const n = String(++instance).padStart(12, '0');
  return [{ uri: ua.contactUri, params: { '+sip.instance': `"<urn:uuid:00000000-0000-4000-8000-${n}>"`, 'reg-id': '1' } }];
}
const OUTBOUND = { supported: 'outbound' };

/** A UA whose stack sends keep-alives (timers on `clock` when given). */
async function keepAliveUa(srv: TestServer, user: string, protocol: TransportProtocol, extra: { clock?: FakeClock; onFlowFailed?: (reason: FlowFailureReason) => void } = {}): Promise<TestUa> {
  const stack = createStack({
    address: '127.0.0.1',
    udp: protocol === 'UDP' ? { port: 0 } : false,
    tcp: protocol === 'TCP' ? { port: 0 } : false,
    resolver: () => Promise.resolve([srv.target(protocol)]),
    keepAlive: extra.clock !== undefined ? { clock: extra.clock, random: () => 0 } : {},
    ...(extra.onFlowFailed !== undefined ? { onFlowFailed: (_remote: unknown, reason: FlowFailureReason) => extra.onFlowFailed?.(reason) } : {}),
  });
  await stack.start();
  const ua = new TestUa(stack, user, protocol, srv, PASSWORDS[user] ?? 'x');
  started.push(ua);
  return ua;
}

async function plainUa(srv: TestServer, user: string, protocol: TransportProtocol): Promise<TestUa> {
  const ua = await createUa(srv, user, protocol);
  started.push(ua);
  return ua;
}

const bindings = async (srv: TestServer, user: string) => srv.store.lookup(`sip:${user}@localhost`, srv.clock.now);
const metrics = async (srv: TestServer): Promise<string> => (await fetch(`http://127.0.0.1:${String(srv.server.ports.http)}/metrics`)).text();
const sample = (text: string, line: RegExp): number => Number(line.exec(text)?.[1] ?? 0);

describe('the 200 of an outbound registration (RFC 5626 §4.4.1, §6)', () => {
  it('carries Require: outbound and Flow-Timer; a plain registration gets neither', async () => {
    const srv = await server({ connectionIdleSeconds: 3900 });
    const alice = await plainUa(srv, 'alice', 'UDP');
    const rs = await alice.register({ contact: outboundContact(alice), headers: OUTBOUND });
    expect(rs.status).toBe(200);
    expect(rs.headers.require).toEqual(expect.stringContaining('outbound'));
    expect(rs.headers['flow-timer']).toBe('120');
    const bob = await plainUa(srv, 'bob', 'UDP');
    const plain = await bob.register();
    expect(plain.status).toBe(200);
    expect(plain.headers['flow-timer']).toBeUndefined();
  });

  it('keeps Flow-Timer at most 3/4 of the idle limit, never below 1 s', () => {
    expect(flowTimerSeconds({ flowTimerSeconds: 120, connectionIdleSeconds: 3900 })).toBe(120);
    expect(flowTimerSeconds({ flowTimerSeconds: 120, connectionIdleSeconds: 100 })).toBe(75);
    expect(flowTimerSeconds({ flowTimerSeconds: 30, connectionIdleSeconds: 100 })).toBe(30);
    expect(flowTimerSeconds({ flowTimerSeconds: 120, connectionIdleSeconds: 1 })).toBe(1);
  });
});

describe('flows at the idle limit (RFC 5626 §4.4, §5.3)', () => {
  it('UDP: a flow without keep-alives loses its binding at the idle limit; one with STUN keep-alives keeps it', async () => {
    const srv = await server({ connectionIdleSeconds: 2 });
    const clock = createFakeClock();
    const kept = await keepAliveUa(srv, 'alice', 'UDP', { clock });
    const silent = await plainUa(srv, 'bob', 'UDP');
    const ok = await kept.register({ contact: outboundContact(kept), headers: OUTBOUND });
    expect(ok.headers['flow-timer']).toBe('1');
    expect((await silent.register({ contact: outboundContact(silent), headers: OUTBOUND })).status).toBe(200);
    // Three rounds of 1.5 s of server time (4.5 s in all, past the 2 s limit), a STUN keep-alive in each.
    for (let round = 1; round <= 3; round++) {
      srv.clock.now += 1500;
      clock.advance(1000);
      await until(() => kept.stack.transport.stats.stunResponsesReceived === round, 5000, `STUN answer ${String(round)}`);
    }
    await until(async () => (await bindings(srv, 'bob')).length === 0, 10_000, "bob's binding to go at the idle limit");
    expect(await bindings(srv, 'alice')).toHaveLength(1);
    const m = await metrics(srv);
    expect(sample(m, /^sipts_keepalives_answered_total\{kind="stun"\} (\d+)$/m)).toBe(3);
    expect(sample(m, /^sipts_parse_errors_total (\d+)$/m)).toBe(0);
  });

  it('TCP: a connection without keep-alives is closed at the idle limit with its binding; one with CRLF pings stays', async () => {
    // Pings every 0.8–1 s against a 3 s limit: 2 s of margin for a loaded machine.
    const srv = await server({ connectionIdleSeconds: 3, flowTimerSeconds: 1 });
    const failures: FlowFailureReason[] = [];
    const kept = await keepAliveUa(srv, 'alice', 'TCP', { onFlowFailed: (r) => failures.push(r) });
    const silent = await plainUa(srv, 'bob', 'TCP');
    expect((await kept.register({ contact: outboundContact(kept), headers: OUTBOUND })).status).toBe(200);
    expect((await silent.register({ contact: outboundContact(silent), headers: OUTBOUND })).status).toBe(200);
    await until(async () => (await bindings(srv, 'bob')).length === 0, 10_000, "bob's binding to go with his idle connection");
    // alice pinged at least twice (Flow-Timer 1 s) while bob went idle for 3 s, and kept her flow.
    await until(() => kept.stack.transport.stats.keepAlivesSent >= 2, 5000, 'two pings');
    expect(await bindings(srv, 'alice')).toHaveLength(1);
    expect(failures).toEqual([]);
    expect(kept.stack.transport.stats.connectionsClosed).toBe(0);
    expect(sample(await metrics(srv), /^sipts_keepalives_answered_total\{kind="crlf"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
  });
});

describe('a user agent re-registering when its flow fails (RFC 5626 §4.2, §4.5)', () => {
  it('notices the server closing its connection and registers again over a new one', async () => {
    const srv1 = await startServer({ limits: { connectionIdleSeconds: 3900 } });
    const tcpPort = srv1.target('TCP').port;
    let srv: TestServer = srv1;
    const failures: FlowFailureReason[] = [];
    let attempts = 0;
    const results: number[] = [];
    const ua: TestUa = await keepAliveUa(srv1, 'alice', 'TCP', {
      onFlowFailed: (reason) => {
        failures.push(reason);
        // §4.5: wait a random 50–100 % of base·2^failures (a short base for the test), then register.
        setTimeout(() => {
          void ua.register({ contact, headers: OUTBOUND }).then((rs) => results.push(rs.status));
        }, flowRecoveryDelayMs(attempts++, { allFlowsFailed: true, baseSeconds: 0.05 }));
      },
    });
    const contact = outboundContact(ua);
    expect((await ua.register({ contact, headers: OUTBOUND })).status).toBe(200);
    const firstFlow = (await bindings(srv1, 'alice'))[0]?.flow?.id;
    expect(firstFlow).toBeDefined();
    // The server goes away (closing the connection) and comes back on the same port.
    await srv1.stop();
    srv = await startServer({ listen: { udp: 0, tcp: tcpPort, ws: 0 } });
    started.push({ close: () => srv.stop() });
    await until(() => results.includes(200), 10_000, 'the new registration');
    expect(failures).toEqual(['connection-closed']);
    const now = await bindings(srv, 'alice');
    expect(now).toHaveLength(1);
    expect(now[0]?.flow?.protocol).toBe('TCP');
    expect(ua.stack.transport.stats.connectionsOpened).toBe(2);
  });
});
