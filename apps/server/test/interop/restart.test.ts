/**
 * Registrations survive a restart: the bin `sipts-server serve` (a child process, SQLite in a
 * data dir), bob registers through it with sipp, SIGTERM stops it (exit 0: graceful shutdown),
 * a new process on the same data dir and ports routes alice's call to bob's registered contact.
 * And SIGTERM while a call is being set up: new requests get 503, the live INVITE transaction
 * still completes (200, ACK), then the process exits 0.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killChildren, until } from '@sipts/test-peers';
import { afterAll, describe, expect, it } from 'vitest';
import { register as rawRegister, statusOf, headerOf, udpPeer } from './raw.js';
import { metricsText, sample, startServerProcess, writeConfig, type ServerProcess } from './server-harness.js';
import { startRawCallee } from './raw-callee.js';
import { logged, startSipp, tail, type SippRun } from './sipp.js';
import { sippCall, sippRegister } from './sipp-users.js';

const work = mkdtempSync(join(tmpdir(), 'sipts-server-restart-'));
const processes: ServerProcess[] = [];

afterAll(async () => {
  for (const p of processes) await p.kill();
  killChildren();
  rmSync(work, { recursive: true, force: true });
});

function passed(r: SippRun): void {
  expect(r.code, tail(r)).toBe(0);
  expect(r.successful, tail(r)).toBe(1);
}

/** The process exited 0 by itself after its SIGTERM (a graceful shutdown, no signal). */
async function expectGracefulExit(exit: ReturnType<ServerProcess['terminate']>): Promise<void> {
  const end = await exit;
  expect({ code: end.code, signal: end.signal }, end.output.slice(-3000)).toEqual({ code: 0, signal: null });
}

/** A SIP and an HTTP port, free now, for server processes that must keep them across a restart. */
async function freshPorts(): Promise<{ ports: { sip: number; http: number }; remote: string }> {
  const ports = { sip: await freePort(), http: await freePort() };
  return { ports, remote: `127.0.0.1:${String(ports.sip)}` };
}

/** Starts the bin with `config` on `ports`; the afterAll kills it if it is still running. */
async function startTracked(dir: string, config: string, ports: { sip: number; http: number }): Promise<ServerProcess> {
  const p = await startServerProcess(dir, config, ports);
  processes.push(p);
  return p;
}

/** Registers bob through a server process, restarts it with SIGTERM (exit 0), starts a new one. */
async function registerAndRestart(dir: string, store: 'sqlite' | 'memory'): Promise<{ remote: string; bobPort: number; second: ServerProcess; http: number }> {
  const config = writeConfig(dir, { store: { kind: store }, log: { level: 'info' } });
  const { ports, remote } = await freshPorts();
  const first = await startTracked(dir, config, ports);
  const reg = await sippRegister(dir, remote, 'bob', { expires: 300 });
  passed(await reg.done);
  expect(sample(await metricsText(ports.http), 'sipts_registrations')).toBe(1);
  await expectGracefulExit(first.terminate());
  const second = await startTracked(dir, config, ports);
  return { remote, bobPort: reg.port, second, http: ports.http };
}

describe('restart', () => {
  it('on SQLite: bob registered before a SIGTERM restart is still routable after it', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(work, 'sqlite-'));
    const { remote, bobPort, second, http } = await registerAndRestart(dir, 'sqlite');
    expect(existsSync(join(dir, 'data', 'location.sqlite'))).toBe(true);
    expect(sample(await metricsText(http), 'sipts_registrations')).toBe(1);
    const uas = await startSipp(dir, { scenario: 'call-uas.xml', port: bobPort, service: 'bob' });
    const uac = await sippCall(dir, remote, 'call-uac.xml');
    passed(await uac.done);
    const b = await uas.done;
    passed(b);
    expect(logged(b, 'UAS-INVITE via')[0], tail(b)).toContain(remote);
    await expectGracefulExit(second.terminate());
  });

  it('the check can fail: on the memory store the registration is gone after the restart (480)', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(work, 'memory-'));
    const { remote, second, http } = await registerAndRestart(dir, 'memory');
    expect(sample(await metricsText(http), 'sipts_registrations')).toBe(0);
    const uac = await sippCall(dir, remote, 'call-rejected-480.xml');
    passed(await uac.done);
    expect((await second.terminate()).code).toBe(0);
  });
});

describe('SIGTERM during a call', () => {
  it('new requests get 503, the live INVITE still completes, then the process exits 0', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(work, 'sigterm-'));
    const config = writeConfig(dir, { store: { kind: 'memory' }, log: { level: 'info' }, limits: { shutdownGraceSeconds: 60 } });
    // The grace period only bounds the wait: the process exits as soon as the call's transaction ends.
    const { ports, remote } = await freshPorts();
    const server = await startTracked(dir, config, ports);
    const reg = await sippRegister(dir, remote, 'bob', { expires: 300 });
    passed(await reg.done);
    // bob's contact is the port its sipp registered from; a raw callee takes it over and rings,
    // and answers only once the 503 below has been seen: no race with a fixed ringing time.
    const callee = await startRawCallee({ port: reg.port, user: 'bob' });
    try {
      const uac = await sippCall(dir, remote, 'call-no-bye-uac.xml');
      await callee.invited;
      // The 180 has gone back through the server.
      await until(async () => sample(await metricsText(ports.http), 'sipts_responses_total', { code: '180' }) >= 1, 30_000, 'the 180');
      const exited = server.terminate();
      // main.ts prints "SIGTERM: stopping" as it starts the graceful stop.
      await until(() => server.child.output().includes('SIGTERM'), 30_000, 'the process to take the SIGTERM');
      const peer = await udpPeer();
      try {
        await peer.send(rawRegister('UDP', 'carol', peer.port), ports.sip);
        // The server stays up while the INVITE transaction lives (the callee has not answered),
        // so the answer comes; the bound only turns a lost answer into a failure.
        const got = await peer.collect(1, 30_000);
        expect(got.map(statusOf), got.join('\n')).toEqual([503]);
        expect(headerOf(got[0] ?? '', 'Retry-After')).toMatch(/^\d+/);
      } finally {
        await peer.close();
      }
      const ack = await callee.answer();
      passed(await uac.done);
      // The ACK came through the server (it record-routed the call).
      expect(ack).toMatch(new RegExp(`^Via: SIP/2\\.0/UDP ${remote.replace(/\./g, '\\.')}`, 'im'));
      await expectGracefulExit(exited);
    } finally {
      await callee.close();
    }
  });
});
