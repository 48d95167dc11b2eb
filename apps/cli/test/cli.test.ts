import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toJson } from '../src/to-json.js';

const bin = fileURLToPath(new URL('../bin/sipts-parse.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function run(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sipts-parse', () => {
  it('prints a valid message as JSON and exits 0 (RFC 4475 esc01)', () => {
    const r = run([fixture('esc01.sip')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.method).toBe('INVITE');
    expect(json.uri).toBe('sip:sips%3Auser%40example.com@example.net');
    expect(json.headers['call-id']).toBe('esc01.239409asdfakjkn23onasd0-3234');
    expect(json.headers.cseq).toEqual({ seq: 234234, method: 'INVITE' });
  });

  it('reads the message from stdin', () => {
    const r = run([], readFileSync(fixture('esc01.sip')));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).headers['call-id']).toBe('esc01.239409asdfakjkn23onasd0-3234');
  });

  it('reports an invalid message on stderr and exits 1 (RFC 4475 ncl: Content-Length -999)', () => {
    const r = run([fixture('ncl.sip')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error [a-z-]+ at byte \d+: .+\n$/);
    expect(r.stderr).toContain('content-length');
  });

  it('exits 2 on a usage error', () => {
    expect(run(['one.sip', 'two.sip']).status).toBe(2);
    expect(run(['--bogus']).status).toBe(2);
    expect(run([fixture('no-such-file.sip')]).status).toBe(2);
  });
});

describe('toJson', () => {
  it('prints byte bodies as { bytes, base64 }', () => {
    const out = JSON.parse(toJson({ content: new Uint8Array([0, 0xff, 0x41]) }));
    expect(out.content).toEqual({ bytes: 3, base64: 'AP9B' });
  });
});
