/**
 * Keep-alives of the neutral WebSocket client (RFC 7118 §6 with RFC 5626 §4.4.1), with the `ws`
 * package's WebSocket injected and the timers driven by hand: a CRLFCRLF text frame at the
 * interval, answered by our Node layer's pong; a peer that never pongs makes the flow fail
 * (`onFlowFailed` 'no-pong') and the socket close; a server's CRLFCRLF ping is answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsSocket, WebSocketServer } from 'ws';
import type { FlowFailureReason, KeepAliveClock } from '../src/index.js';
import { createWsTransport, type WsTransport } from '../src/ws-client.js';
import { cleanup, portOf, startLayer, waitFor } from './layer-helpers.js';

afterEach(cleanup);
const WebSocketCtor = WsSocket as unknown as typeof WebSocket;

/** Timers fired by hand: `fire()` runs the earliest one. */
function manualClock(): KeepAliveClock & { due: { ms: number; fn: () => void; id: number }[]; fire(): number } {
  let next = 1;
  const due: { ms: number; fn: () => void; id: number }[] = [];
  return {
    due,
    set(ms, fn) {
      const t = { ms, fn, id: next++ };
      due.push(t);
      return { id: t.id };
    },
    clear(timer) {
      const i = due.findIndex((t) => t.id === timer.id);
      if (i >= 0) due.splice(i, 1);
    },
    fire() {
      const t = due.shift();
      t?.fn();
      return t?.ms ?? -1;
    },
  };
}

function client(url: string, clock: KeepAliveClock, failures: FlowFailureReason[], closed: string[]): WsTransport {
  const t = createWsTransport(
    { url, WebSocket: WebSocketCtor, reconnect: false, keepAlive: { clock, random: () => 0 } },
    { onRequest: () => undefined, onResponse: () => undefined, onFlowFailed: (_r, reason) => failures.push(reason), onFlowClosed: (id) => closed.push(id) },
  );
  return t;
}

describe('WebSocket client keep-alives', () => {
  it('pings at 80 % of Flow-Timer and our server pongs: no failure, the socket stays open', async () => {
    const { layer } = await startLayer({ udp: false, tcp: false, ws: { port: 0 } });
    const clock = manualClock();
    const failures: FlowFailureReason[] = [];
    const closed: string[] = [];
    const t = client(`ws://127.0.0.1:${String(portOf(layer, 'WS'))}/`, clock, failures, closed);
    try {
      await waitFor(() => t.state === 'open' && clock.due.length === 1, 5000, 'the socket to open');
      expect(clock.due[0]?.ms).toBe(96_000); // 80 % of the 120 s default
      t.setFlowTimer(30);
      expect(clock.due.map((d) => d.ms)).toEqual([24_000]);
      for (let i = 1; i <= 2; i++) {
        clock.fire(); // the ping; the pong timer (10 s) is now due
        expect(clock.due.map((d) => d.ms)).toEqual([10_000]);
        await waitFor(() => layer.stats.keepAlivesAnswered === i && clock.due[0]?.ms === 24_000, 5000, `pong ${String(i)}`);
      }
      expect(failures).toEqual([]);
      expect(t.state).toBe('open');
    } finally {
      await t.close();
    }
    expect(clock.due).toEqual([]);
  });

  it('a peer that never pongs: the flow fails with no-pong and the socket closes', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'sip' });
    const pings: string[] = [];
    wss.on('connection', (ws) => ws.on('message', (d: Buffer) => pings.push(d.toString('latin1'))));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const clock = manualClock();
    const failures: FlowFailureReason[] = [];
    const closed: string[] = [];
    const t = client(`ws://127.0.0.1:${String(port)}/`, clock, failures, closed);
    try {
      await waitFor(() => t.state === 'open', 5000, 'the socket to open');
      clock.fire();
      await waitFor(() => pings.length === 1, 5000, 'the ping');
      expect(pings).toEqual(['\r\n\r\n']);
      expect(clock.fire()).toBe(10_000); // no pong in 10 s
      expect(failures).toEqual(['no-pong']);
      await waitFor(() => closed.length === 1, 5000, 'the socket to close');
      expect(failures).toEqual(['no-pong']); // reported once, not again as connection-closed
    } finally {
      await t.close();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });

  it('answers the server\'s CRLFCRLF ping with a CRLF pong', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'sip' });
    const got: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (d: Buffer) => got.push(d.toString('latin1')));
      ws.send('\r\n\r\n');
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const t = client(`ws://127.0.0.1:${String((wss.address() as { port: number }).port)}/`, manualClock(), [], []);
    try {
      await waitFor(() => got.length === 1, 5000, 'the pong');
      expect(got).toEqual(['\r\n']);
    } finally {
      await t.close();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });
});
