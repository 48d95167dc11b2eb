/**
 * Phones on the embedded config (issue 16, "phones on defaults"): the server offers SHA-256 first
 * and MD5, and its client table (auth.clients) offers MD5 to the clients that cannot do better.
 * Debian's sipsak 0.9.8 and sipp 3.6.1 register and call; without the table they cannot (they
 * read only the first challenge and compute MD5 only). baresip is in baresip.test.ts (same
 * config). Clients that choose the strongest algorithm still use SHA-256 (registrar.test.ts and
 * auth-policy tests with our digest client).
 */
import { freePort, runTool } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/index.js';
import { PASSWORDS, REALM } from './server-harness.js';
import { startSipp, tail } from './sipp.js';
import { sippCall, sippRegister } from './sipp-users.js';
import { useInteropServer } from './use-server.js';

/** auth as in config/sipts-server.yaml (auth.clients: the default table). */
export const EMBEDDED_AUTH = { algorithms: ['SHA-256', 'MD5'], requests: true };
const fx = useInteropServer('sipts-server-phones-', { auth: EMBEDDED_AUTH });

function out(r: { stdout: string; stderr: string }): string {
  return `signal ${String((r as { signal?: unknown }).signal)}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-2000)}`;
}

/**
 * Runs sipsak against the server. `direct`: the server in the target URI itself, not as outbound
 * proxy (`-p`): sipsak 0.9.8.1 crashes (SIGSEGV) in invite and message modes with `-p`.
 */
async function sipsak(args: string[], direct = false): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const local = await freePort();
  const base = [...(direct ? [] : ['-p', `127.0.0.1:${String(fx.server.udp)}`]), '-l', String(local), '--local-ip', '127.0.0.1', '-H', '127.0.0.1', '-vv'];
  return runTool('/usr/bin/sipsak', [...base, ...args], { cwd: fx.work, timeoutMs: 30_000 });
}

describe('sipsak 0.9.8 on the embedded config', () => {
  it('registers alice (401 answered with MD5, then 200) and the binding is stored', async () => {
    const r = await sipsak(['-U', '-C', 'sip:alice@127.0.0.1:5999', '-x', '60', '-u', 'alice', '-a', PASSWORDS.alice ?? '', '-s', `sip:alice@${REALM}`]);
    expect(r.code, out(r)).toBe(0);
    const b = await fx.store.lookup(`sip:alice@${REALM}`, Date.now());
    expect(b.map((x) => x.contact)).toContain('sip:alice@127.0.0.1:5999');
  });

  // Requests: sipsak 0.9.8.1's invite mode (-I) and message mode (-M) crash (SIGSEGV) on this
  // Debian build; -I and -M with -p before sending anything, whatever the server; -U -M after
  // its REGISTER got its 200. So sipsak is tried for registration only (README, phones tried).
  it.todo('sends a request through the server (sipsak -I / -M crash with SIGSEGV on Debian 0.9.8.1)');

  it('without the client table it cannot: SHA-256 comes first and sipsak knows only MD5', async () => {
    await fx.restart({ store: createMemoryStore(), overrides: { auth: { ...EMBEDDED_AUTH, clients: [] } } });
    const r = await sipsak(['-U', '-C', 'sip:alice@127.0.0.1:5999', '-x', '60', '-u', 'alice', '-a', PASSWORDS.alice ?? '', '-s', `sip:alice@${REALM}`]);
    expect(r.code, out(r)).not.toBe(0);
  });
});

describe('sipp 3.6.1 on the embedded config (its scenarios send no User-Agent: MD5 first)', () => {
  it('bob registers, alice calls him (407 answered with MD5), the call completes', async () => {
    const remote = `127.0.0.1:${String(fx.server.udp)}`;
    const reg = await sippRegister(fx.work, remote, 'bob');
    const registered = await reg.done;
    expect(registered.code, tail(registered)).toBe(0);
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', port: reg.port, service: 'bob', timeoutMs: 30_000 });
    const uac = await (await sippCall(fx.work, remote, 'call-uac.xml')).done;
    expect(uac.code, tail(uac)).toBe(0);
    expect(uac.successful, tail(uac)).toBe(1);
    const b = await uas.done;
    expect(b.successful, tail(b)).toBe(1);
  });

  it('without the client table it cannot register', async () => {
    await fx.restart({ store: createMemoryStore(), overrides: { auth: { ...EMBEDDED_AUTH, clients: [] } } });
    const r = await (await sippRegister(fx.work, `127.0.0.1:${String(fx.server.udp)}`, 'bob')).done;
    expect(r.code, tail(r)).not.toBe(0);
    expect(r.errors).toContain('authentication must use MD5');
  });
});
