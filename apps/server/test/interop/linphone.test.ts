/**
 * Debian's linphonec 5.1.65 (linphone-cli) on the embedded auth config (SHA-256 first, MD5; the
 * default client table, which does not name linphone): it registers with SHA-256 and calls bob, a
 * sipp UAS registered through the server (407 answered with SHA-256, 200, ACK, then BYE). No
 * sound card is needed for signalling (linphonec logs that it found none). Driven over stdin; each
 * step waits for the server's state (the store, the metrics) or sipp's result, not for a delay.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Child, freePort, startChild, until } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORDS, REALM, metricsText, sample } from './server-harness.js';
import { startSipp, tail } from './sipp.js';
import { sippRegister } from './sipp-users.js';
import { useInteropServer } from './use-server.js';

const fx = useInteropServer('sipts-server-linphone-', { auth: { algorithms: ['SHA-256', 'MD5'], requests: true } });
let phone: Child | undefined;
afterEach(async () => {
  await phone?.kill();
  phone = undefined;
});

/** linphonec with a fresh HOME and a config that names only its SIP port (UDP). */
async function startLinphonec(dir: string): Promise<{ child: Child; send(line: string): void }> {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.local', 'share', 'linphone'), { recursive: true });
  const port = await freePort();
  const rc = join(dir, 'linphonerc');
  writeFileSync(rc, `[sip]\nsip_port=${String(port)}\nsip_tcp_port=-1\n[rtp]\naudio_rtp_port=${String(await freePort())}\n`);
  const child = startChild('/usr/bin/linphonec', ['-c', rc, '-d', '6'], { cwd: dir, timeoutMs: 60_000, stdin: true, env: { ...process.env, HOME: home }, maxOutput: 16 << 20 });
  return {
    child,
    send(line) {
      child.process.stdin?.write(`${line}\n`);
    },
  };
}

describe('linphonec 5.1.65 on the embedded config', () => {
  it('registers with SHA-256 and calls bob (a sipp UAS) through the server', async () => {
    const s = fx.server;
    const reg = await sippRegister(fx.work, `127.0.0.1:${String(s.udp)}`, 'bob');
    expect((await reg.done).code).toBe(0);
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', port: reg.port, service: 'bob', timeoutMs: 45_000 });

    const lin = await startLinphonec(join(fx.work, 'linphone'));
    phone = lin.child;
    lin.send(`register sip:alice@${REALM} sip:127.0.0.1:${String(s.udp)} ${PASSWORDS.alice ?? ''}`);
    const out = (): string => lin.child.output().slice(-4000);
    await until(async () => (await fx.store.lookup(`sip:alice@${REALM}`, Date.now())).length > 0, 20_000, `alice's binding\n${out()}`);
    // linphonec's stdout is a pipe (block-buffered): its trace of the REGISTER may come later.
    await until(() => /^Authorization: +Digest .*algorithm=SHA-256/m.test(lin.child.output()), 20_000, `linphonec's SHA-256 Authorization\n${out()}`);

    // To the server's own address: linphonec sends to the Request-URI's host otherwise.
    lin.send(`call sip:bob@127.0.0.1:${String(s.udp)}`);
    await until(() => /Call \d+ with .* connected/.test(lin.child.output()), 20_000, `the call to connect\n${out()}`);
    await until(() => /^Proxy-Authorization: +Digest .*algorithm=SHA-256/m.test(lin.child.output()), 20_000, `linphonec's SHA-256 Proxy-Authorization\n${out()}`);
    lin.send('terminate');
    const b = await uas.done;
    expect(b.successful, `${tail(b)}\n${out()}`).toBe(1);
    const m = await metricsText(s.http);
    expect(sample(m, 'sipts_requests_total', { method: 'BYE' })).toBeGreaterThanOrEqual(1);
    lin.send('quit');
  }, 60_000);
});
