import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDigestServer } from '@sipts/digest';
import { describe, expect, it } from 'vitest';
import { ConfigError, ha1Entry, loadConfig, parseConfig } from '../src/config/index.js';
import { stackOptions } from '../src/server.js';

const cwd = mkdtempSync(join(tmpdir(), 'sipts-config-'));

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no ConfigError thrown');
}

describe('loadConfig', () => {
  it('reads the embedded default config with the two demo users', () => {
    const c = loadConfig({ argv: [], env: {}, cwd });
    expect(c.domains).toEqual(['localhost', '127.0.0.1']);
    expect(c.listen).toMatchObject({ address: '127.0.0.1', udp: 5060, tcp: 5060, tls: false, ws: 8088, wss: false, publicAddress: null });
    expect(c.store).toEqual({ kind: 'sqlite' });
    expect(c.dataDir).toBe(join(cwd, 'data'));
    expect(c.registrar).toMatchObject({ minExpires: 60, maxExpires: 3600, defaultExpires: 3600 });
    expect(c.auth).toMatchObject({ algorithms: ['SHA-256', 'MD5'], requests: true });
    expect(c.routing).toEqual({ forking: 'parallel', otherDomains: 'refuse', recordRoute: true, assertIdentity: false });
    expect(c.http).toEqual({ address: '127.0.0.1', port: 9090 });
    expect(c.users.map((u) => u.user)).toEqual(['alice', 'bob']);
    expect(c.instanceId).toBeNull();
  });

  it('stores HA1s that match the documented demo passwords', () => {
    const c = loadConfig({ argv: [], env: {}, cwd });
    for (const [user, password] of [['alice', 'alice-secret'], ['bob', 'bob-secret']] as const) {
      expect(c.users.find((u) => u.user === user)?.ha1).toEqual(ha1Entry(user, 'localhost', password).ha1);
    }
    expect(() => createDigestServer({ realm: c.domains[0] ?? '' })).not.toThrow();
  });

  it('fills every default for an empty document', () => {
    const c = parseConfig({});
    expect(c.limits.registerPerSecondPerSource).toBe(20);
    expect(c.limits).toMatchObject({ requestsPerSecondPerSource: 50, bindingsPerAor: 10, forksPerRequest: 10, spiralsPerRequest: 1, contactsPerUser: 20 });
    expect(c.log.level).toBe('info');
    expect(c.users).toEqual([]);
  });

  it('applies SIPTS_* variables, then flags over them', () => {
    const env = { SIPTS_UDP_PORT: '5070', SIPTS_TCP_PORT: 'false', SIPTS_STORE: 'redis', SIPTS_REDIS_URL: 'redis://127.0.0.1:7000', SIPTS_LOG_LEVEL: 'debug', SIPTS_DATA_DIR: 'elsewhere' };
    const c = loadConfig({ argv: ['serve', '--udp-port', '0', '--http-port', 'false', '--address', '::1'], env, cwd });
    expect(c.listen.udp).toBe(0);
    expect(c.listen.tcp).toBe(false);
    expect(c.listen.address).toBe('::1');
    expect(c.http.port).toBe(false);
    expect(c.store).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:7000', prefix: 'sipts:' });
    expect(c.log.level).toBe('debug');
    expect(c.dataDir).toBe(join(cwd, 'elsewhere'));
  });

  it('reads a config file from --config or SIPTS_CONFIG, and a users file', () => {
    writeFileSync(join(cwd, 'users.yaml'), `users:\n  - { user: carol, ha1: { md5: ${ha1Entry('carol', 'example.com', 'pw').ha1.md5} } }\n`);
    writeFileSync(join(cwd, 'server.yaml'), 'domains: [example.com]\nusersFile: users.yaml\nrouting: { forking: sequential }\n');
    const c = loadConfig({ argv: ['--config', 'server.yaml'], env: {}, cwd });
    expect(c.domains).toEqual(['example.com']);
    expect(c.routing.forking).toBe('sequential');
    expect(c.users.map((u) => u.user)).toEqual(['carol']);
    expect(loadConfig({ argv: [], env: { SIPTS_CONFIG: join(cwd, 'server.yaml') }, cwd }).domains).toEqual(['example.com']);
  });

  it('names the key and the reason of a bad value', () => {
    writeFileSync(join(cwd, 'bad.yaml'), 'listen: { udp: 70000 }\n');
    const e = errorOf(() => loadConfig({ argv: ['--config', 'bad.yaml'], env: {}, cwd }));
    expect(e.key).toBe('listen.udp');
    expect(e.message).toContain('listen.udp');
    expect(errorOf(() => parseConfig({ routing: { forking: 'random' } })).key).toBe('routing.forking');
    expect(errorOf(() => parseConfig({ users: [{ user: 'x', ha1: { md5: 'zz' } }] })).key).toBe('users.0.ha1.md5');
    expect(errorOf(() => parseConfig({ registrar: { minExpires: 100, maxExpires: 10 } })).key).toBe('registrar.minExpires');
    expect(errorOf(() => parseConfig({ listen: { bogus: 1 } })).key).toBe('listen');
  });

  it('names the flag or variable of a bad override', () => {
    expect(errorOf(() => loadConfig({ argv: ['--udp-port', 'abc'], env: {}, cwd })).key).toBe('--udp-port');
    expect(errorOf(() => loadConfig({ argv: [], env: { SIPTS_HTTP_PORT: '99999' }, cwd })).key).toBe('SIPTS_HTTP_PORT');
    expect(errorOf(() => loadConfig({ argv: ['--store', 'mysql'], env: {}, cwd })).key).toBe('--store');
    expect(errorOf(() => loadConfig({ argv: ['--nope'], env: {}, cwd })).key).toBe('flags');
    expect(errorOf(() => loadConfig({ argv: ['--config', 'missing.yaml'], env: {}, cwd })).key).toBe('--config');
  });

  it('refuses a user listed twice', () => {
    writeFileSync(join(cwd, 'dup.yaml'), `users:\n  - { user: a, ha1: { md5: ${'a'.repeat(32)} } }\n  - { user: a, ha1: { md5: ${'b'.repeat(32)} } }\n`);
    expect(errorOf(() => loadConfig({ argv: ['--config', 'dup.yaml'], env: {}, cwd })).key).toBe('users');
  });
});

describe('stackOptions', () => {
  it('asks for a 4 MiB UDP receive buffer by default, and the system default with 0', () => {
    const c = loadConfig({ argv: [], env: {}, cwd });
    expect(stackOptions(c).udp).toEqual({ port: 5060, receiveBufferBytes: 4 * 1024 * 1024 });
    const off = parseConfig({ limits: { udpReceiveBufferBytes: 0 } });
    expect(stackOptions(off).udp).toEqual({ port: 5060 });
  });
});
