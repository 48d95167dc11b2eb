/**
 * sipts-server against Debian's sipvicious 0.3 (the attacker's tools of issue 16, findings 10 and
 * 11), on loopback UDP:
 * - `svwar` (extension enumeration) finds nothing: known and unknown users get the same challenge;
 * - `svcrack` (password guessing) is stopped after `auth.guessing.maxFailures` guesses: the right
 *   password, last in its dictionary, is never tried against the digest check.
 * Counts, not timings: the server's failure counter and cool-down counters.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort, runTool, until } from '@sipts/test-peers';
import { describe, expect, it } from 'vitest';
import { metricsText, sample } from './server-harness.js';
import { useInteropServer } from './use-server.js';

const MAX_FAILURES = 10;
// The embedded config's algorithms (SHA-256 first), and a cool-down longer than the test.
const AUTH = { algorithms: ['SHA-256', 'MD5'], guessing: { maxFailures: MAX_FAILURES, windowSeconds: 600, cooldownSeconds: 600 } };
const fx = useInteropServer('sipts-server-sipvicious-', { auth: AUTH });

function output(r: { stdout: string; stderr: string }): string {
  return `stdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`;
}

describe('svwar (issue 16, finding 10: user enumeration)', () => {
  it('finds no extension although alice, bob and carol exist', async () => {
    const dict = join(fx.work, 'extensions.txt');
    writeFileSync(dict, ['100', 'admin', 'alice', 'bob', 'carol', 'dave', 'mallory', 'nobody', 'test', '1000'].join('\n') + '\n');
    const args = ['-d', dict, '-p', String(fx.server.udp), '-b', '127.0.0.1', '-P', String(await freePort()), '--force', '127.0.0.1'];
    const r = await runTool('/usr/bin/svwar', args, { cwd: fx.work, timeoutMs: 60_000 });
    expect(r.signal, output(r)).toBeNull();
    // svwar first asks for an extension that cannot exist; as the server answers it like any
    // other (401), it has nothing to tell users apart by, and lists none.
    expect(r.stderr, output(r)).toContain('found nothing');
    for (const user of ['alice', 'bob', 'carol']) expect(r.stdout, output(r)).not.toMatch(new RegExp(`\\|\\s*${user}\\s*\\|`));
  });
});

describe('svcrack (issue 16, finding 11: password guessing)', () => {
  it(`is stopped after ${String(MAX_FAILURES)} guesses: the right password, 50th in the dictionary, is never tried`, async () => {
    // svcrack computes MD5 only and reads the first challenge: an attacker claiming a User-Agent
    // that the client table offers MD5 (anyone can) gets it. The guard does not depend on that.
    await fx.restart({ overrides: { auth: { ...AUTH, clients: [{ userAgent: 'friendly-scanner', algorithms: ['MD5'] }] } } });
    const dict = join(fx.work, 'passwords.txt');
    const guesses = Array.from({ length: 49 }, (_, i) => `guess-${String(i)}`);
    writeFileSync(dict, [...guesses, 'alice-secret'].join('\n') + '\n');
    // Once refused, svcrack keeps asking for a fresh challenge (one unauthenticated REGISTER after
    // another, each answered 403) and never ends by itself: the test stops it once the server has
    // refused it 20 times, and at most after 40 s.
    const children = new Set<ChildProcess>();
    const args = ['-u', 'alice', '-d', dict, '-p', String(fx.server.udp), '-b', '127.0.0.1', '-P', String(await freePort()), '127.0.0.1'];
    const run = runTool('/usr/bin/svcrack', args, { cwd: fx.work, timeoutMs: 40_000, children });
    const refused = async (): Promise<number> => sample(await metricsText(fx.server.http), 'sipts_auth_refused_total');
    try {
      await until(async () => (await refused()) >= 20, 40_000, 'svcrack refused 20 times');
    } finally {
      for (const c of children) c.kill('SIGKILL');
    }
    const r = await run;
    expect(r.stdout + r.stderr, output(r)).not.toContain('alice-secret');
    const text = await metricsText(fx.server.http);
    // Exactly N guesses reached the digest check; then the source and the user were blocked.
    expect(sample(text, 'sipts_auth_failures_total'), output(r)).toBe(MAX_FAILURES);
    expect(sample(text, 'sipts_auth_blocks_total', { subject: 'source' })).toBe(1);
    expect(sample(text, 'sipts_auth_blocks_total', { subject: 'user' })).toBe(1);
    expect(sample(text, 'sipts_responses_total', { code: '200' })).toBe(0);
  }, 60_000);
});
