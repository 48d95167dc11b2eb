/**
 * TLS against real peers, with certificates made by openssl at test time (tls-certs.ts): Debian's
 * kamailio 5.6 (kamailio-tls-modules) as a TLS next hop of a `createStack` user agent (SNI and a
 * client certificate it verifies; a wrong host name and an untrusted CA refused by us with a clear
 * error) and as a TLS client of sipts-server (it verifies our certificate, and refuses one from an
 * untrusted CA); the TLS Via and Record-Route checked end to end; and baresip registering and
 * calling over TLS. WSS is not tried with baresip: libre 1.1 has a WebSocket transport, but
 * baresip 1.0.0 never adds it (it calls sip_transp_add only: UDP, TCP, TLS).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDigestClient } from '@sipts/digest';
import { makeResponse, type SipRequest, type SipResponse } from '@sipts/message';
import { createStack, type Stack } from '@sipts/transaction/node';
import { generateBranch, generateTag, type Target } from '@sipts/transport';
import { type Baresip, startBaresip, until } from '@sipts/test-peers';
import { afterEach, describe, expect, it } from 'vitest';
import { startKamailioTls, type KamailioTls } from './kamailio-tls.js';
import { PASSWORDS, REALM, metricsText, sample } from './server-harness.js';
import { logged, startSipp, tail } from './sipp.js';
import { sippRegister } from './sipp-users.js';
import { makeTlsFiles, TLS_NAME, type TlsFiles } from './tls-certs.js';
import { useInteropServer } from './use-server.js';

const fx = useInteropServer('sipts-server-tls-', { auth: { algorithms: ['MD5'] } });
const stacks: Stack[] = [];
let kamailio: KamailioTls | undefined;
let phone: Baresip | undefined;
afterEach(async () => {
  await phone?.stop();
  phone = undefined;
  await kamailio?.stop();
  kamailio = undefined;
  for (const s of stacks.splice(0)) await s.stop();
});

async function stack(options: Parameters<typeof createStack>[0]): Promise<Stack> {
  const s = createStack({ address: '127.0.0.1', udp: false, tcp: false, ...options });
  stacks.push(s);
  await s.start();
  return s;
}

let seq = 0;
function request(method: string, uri: string, from: string, extra: SipRequest['headers'] = {}): SipRequest {
  return {
    method,
    uri,
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '', port: undefined, params: { branch: generateBranch() } }],
      'max-forwards': '70',
      from: { uri: from, params: { tag: generateTag() } },
      to: { uri: method === 'REGISTER' ? from : uri, params: {} },
      'call-id': `${generateTag()}@tls-test`,
      cseq: { seq: ++seq, method },
      ...extra,
    },
    content: '',
  };
}

/** A sipts-server with a TLS listener using `cert`/`key` (and `clientCa`: mutual TLS); returns its TLS port. */
async function tlsServer(files: TlsFiles, cert: { cert: string; key: string; clientCa?: string } = { cert: files.serverCert, key: files.serverKey }): Promise<number> {
  const s = await fx.restart({ store: fx.store, overrides: { auth: { algorithms: ['MD5'], requests: false }, listen: { tls: { port: 0, ...cert } } } });
  const port = s.server.ports.tls;
  if (port === undefined) throw new Error('no TLS port');
  return port;
}

/** bob on UDP, registered with the server (digest), answering MESSAGE and recording it. */
async function bobOnUdp(): Promise<{ stack: Stack; got: SipRequest[] }> {
  const s = await stack({ udp: { port: 0 } });
  const got: SipRequest[] = [];
  s.setRequestHandler((rq, st) => {
    got.push(rq);
    void st.respond(makeResponse(rq, 200, undefined, { toTag: generateTag() }));
  });
  const port = s.transport.listening[0]?.port ?? 0;
  const target: Target = { protocol: 'UDP', address: '127.0.0.1', port: fx.server.udp };
  const rq = request('REGISTER', `sip:${REALM}`, `sip:bob@${REALM}`, { contact: [{ uri: `sip:bob@127.0.0.1:${String(port)}`, params: {} }], expires: '600' });
  let rs: SipResponse = await s.send(rq, { target }).final;
  if (rs.status === 401) rs = await s.send(createDigestClient({ username: 'bob', password: PASSWORDS.bob ?? '' }).authorize(rq, rs), { target }).final;
  expect(rs.status).toBe(200);
  return { stack: s, got };
}

describe('kamailio as a TLS next hop of createStack', () => {
  it('verifies kamailio by the test CA and SNI, presents a client certificate kamailio verifies, and gets its 200 over TLS', async () => {
    const files = makeTlsFiles(join(fx.work, 'certs'));
    kamailio = await startKamailioTls(fx.work, files, 'sip:127.0.0.1:9;transport=tls');
    const k = kamailio;
    const ua = await stack({ tlsClient: { ca: files.ca, key: readFileSync(files.clientKey, 'utf8'), cert: readFileSync(files.clientCert, 'utf8') } });
    const target: Target = { protocol: 'TLS', address: '127.0.0.1', port: k.tls, host: TLS_NAME };
    const rs = await ua.send(request('OPTIONS', `sip:${TLS_NAME}:${String(k.tls)};transport=tls`, 'sip:alice@localhost'), { target }).final;
    expect(rs.status, k.child.output().slice(-3000)).toBe(200);
    expect(rs.headers.via?.[0]).toMatchObject({ protocol: 'TLS' });
    await until(() => k.child.output().includes('sipts-tls: OPTIONS over tls'), 5000, 'kamailio to log the OPTIONS');
    const line = k.child.output().split('\n').find((l) => l.includes('sipts-tls: OPTIONS over tls')) ?? '';
    expect(line).toContain(`sni=${TLS_NAME}`);
    expect(line).toContain('peer=client.sip.test');
    expect(line).toContain('verified=1');
    expect(line).toMatch(/via=SIP\/2\.0\/TLS 127\.0\.0\.1:\d+/);
  });

  it('refuses kamailio under a wrong host name and under an untrusted CA, with the reason in the error', async () => {
    const files = makeTlsFiles(join(fx.work, 'certs'));
    kamailio = await startKamailioTls(fx.work, files, 'sip:127.0.0.1:9;transport=tls');
    const k = kamailio;
    const trusting = await stack({ tlsClient: { ca: files.ca } });
    const wrongName = trusting.transport.sendRequest(request('OPTIONS', `sip:wrong.test:${String(k.tls)};transport=tls`, 'sip:alice@localhost'), { protocol: 'TLS', address: '127.0.0.1', port: k.tls, host: 'wrong.test' });
    await expect(wrongName).rejects.toMatchObject({ code: 'connect-failed', status: 503, message: expect.stringMatching(/ERR_TLS_CERT_ALTNAME_INVALID.*not accepted for wrong\.test: Hostname\/IP does not match/) as string });
    const distrusting = await stack({ tlsClient: { ca: files.untrustedCa } });
    const untrusted = distrusting.transport.sendRequest(request('OPTIONS', `sip:${TLS_NAME}:${String(k.tls)};transport=tls`, 'sip:alice@localhost'), { protocol: 'TLS', address: '127.0.0.1', port: k.tls, host: TLS_NAME });
    await expect(untrusted).rejects.toMatchObject({ code: 'connect-failed', message: expect.stringMatching(/not accepted for sip\.test: (unable to verify|self.signed)/i) as string });
  });
});

describe('kamailio as a TLS client of sipts-server', () => {
  it('relays a MESSAGE to the server over mutual TLS: TLS Via and Record-Route seen end to end, the 200 back over TLS', async () => {
    const files = makeTlsFiles(join(fx.work, 'certs'));
    // The server asks for a client certificate signed by the test CA: kamailio presents one.
    const tlsPort = await tlsServer(files, { cert: files.serverCert, key: files.serverKey, clientCa: files.caCert });
    kamailio = await startKamailioTls(fx.work, files, `sip:127.0.0.1:${String(tlsPort)};transport=tls`);
    const k = kamailio;
    const bob = await bobOnUdp();
    const alice = await stack({ udp: { port: 0 } });
    const rs = await alice.send(request('MESSAGE', `sip:bob@${REALM}`, `sip:alice@${REALM}`), { target: { protocol: 'UDP', address: '127.0.0.1', port: k.udp } }).final;
    expect(rs.status, k.child.output().slice(-3000)).toBe(200);
    const got = bob.got.find((r) => r.method === 'MESSAGE');
    expect(got).toBeDefined();
    // Via: the server (UDP to bob), kamailio (TLS to the server), alice (UDP).
    const vias = got?.headers.via ?? [];
    expect(vias.map((v) => v.protocol)).toEqual(['UDP', 'TLS', 'UDP']);
    expect(vias[1]).toMatchObject({ port: k.tls });
    // Record-Route: kamailio's pair (RFC 5658 style, r2): its TLS side (towards the server) and its UDP side.
    const rr = JSON.stringify(got?.headers['record-route']);
    const uris = (got?.headers['record-route'] ?? []).map((r) => r.uri);
    expect(uris, rr).toEqual([
      expect.objectContaining({ host: '127.0.0.1', port: k.tls, params: expect.objectContaining({ transport: 'tls', r2: 'on' }) as unknown }),
      expect.objectContaining({ host: '127.0.0.1', port: k.udp, params: expect.objectContaining({ r2: 'on' }) as unknown }),
    ]);
    await until(() => k.child.output().includes('sipts-tls: reply 200 over tls'), 5000, 'kamailio to log the 200 over TLS');
    expect(sample(await metricsText(fx.server.http), 'sipts_requests_total', { method: 'MESSAGE' })).toBe(1);
  });

  it('the server requiring client certificates refuses a TLS client without one', async () => {
    const files = makeTlsFiles(join(fx.work, 'certs'));
    const tlsPort = await tlsServer(files, { cert: files.serverCert, key: files.serverKey, clientCa: files.caCert });
    const target: Target = { protocol: 'TLS', address: '127.0.0.1', port: tlsPort, host: TLS_NAME };
    const anonymous = await stack({ tlsClient: { ca: files.ca }, timers: { T1: 50 } });
    const rs = await anonymous.send(request('OPTIONS', `sip:${REALM}`, `sip:alice@${REALM}`), { target }).final;
    expect(rs.status).toBeGreaterThanOrEqual(400);
    const withCert = await stack({ tlsClient: { ca: files.ca, key: readFileSync(files.clientKey, 'utf8'), cert: readFileSync(files.clientCert, 'utf8') } });
    const ok = await withCert.send(request('OPTIONS', `sip:${REALM}`, `sip:alice@${REALM}`), { target }).final;
    expect(ok.status).not.toBe(503); // it got through to the server (which answers OPTIONS itself)
    const m = await metricsText(fx.server.http);
    expect(sample(m, 'sipts_requests_total', { method: 'OPTIONS' })).toBe(1);
  });

  it('does not relay to a server whose certificate comes from a CA it does not trust', async () => {
    const files = makeTlsFiles(join(fx.work, 'certs'));
    const tlsPort = await tlsServer(files, { cert: files.untrustedCert, key: files.untrustedKey });
    kamailio = await startKamailioTls(fx.work, files, `sip:127.0.0.1:${String(tlsPort)};transport=tls`);
    const k = kamailio;
    const alice = await stack({ udp: { port: 0 } });
    const rs = await alice.send(request('MESSAGE', `sip:bob@${REALM}`, `sip:alice@${REALM}`), { target: { protocol: 'UDP', address: '127.0.0.1', port: k.udp } }).final;
    expect(rs.status, k.child.output().slice(-3000)).toBeGreaterThanOrEqual(400);
    expect(sample(await metricsText(fx.server.http), 'sipts_requests_total', { method: 'MESSAGE' })).toBe(0);
    expect(k.child.output()).toMatch(/certificate verify failed|verify error|unknown ca/i);
  });
});

describe('baresip over TLS', () => {
  it('registers over TLS (the binding keeps the TLS flow) and calls bob, a sipp UAS, through the server', async () => {
    const files = makeTlsFiles(join(fx.work, 'certs'));
    const tlsPort = await tlsServer(files);
    const s = fx.server;
    const reg = await sippRegister(fx.work, `127.0.0.1:${String(s.udp)}`, 'bob');
    expect((await reg.done).code).toBe(0);
    const uas = await startSipp(fx.work, { scenario: 'call-uas.xml', port: reg.port, service: 'bob', timeoutMs: 30_000 });
    phone = await startBaresip(join(fx.work, 'baresip-tls'), { user: 'alice', password: PASSWORDS.alice ?? '', domain: REALM, proxyPort: tlsPort, transport: 'tls', cafile: files.caCert });
    const p = phone;
    await until(async () => (await fx.store.lookup(`sip:alice@${REALM}`, Date.now())).length > 0, 10_000, `alice's binding\n${p.child.output().slice(-3000)}`);
    const [binding] = await fx.store.lookup(`sip:alice@${REALM}`, Date.now());
    expect(binding?.flow?.protocol).toBe('TLS');
    await until(() => /\[1 binding\]/.test(p.child.output()), 5000, 'baresip to log its registration');
    p.command(`dial sip:bob@${REALM}`);
    await p.waitFor((m) => m.event === true && m.type === 'CALL_ESTABLISHED', 10_000, 'baresip CALL_ESTABLISHED');
    p.command('hangup');
    const b = await uas.done;
    expect(b.code, `${tail(b)}\n${p.child.output().slice(-3000)}`).toBe(0);
    // The server bridged TLS to UDP (RFC 5658): bob sees its UDP side on top; baresip gets the whole
    // set back in the 200, with the server's TLS side (transport=tls) below it.
    const rr = logged(b, 'UAS-INVITE rr')[0] ?? '';
    expect(rr, tail(b)).toContain(`127.0.0.1:${String(s.udp)};transport=udp`);
    const out = p.child.output();
    const ok = out.slice(out.indexOf('SIP/2.0 200 OK', out.indexOf('CSeq: ', out.indexOf('INVITE sip:bob@localhost'))));
    expect(ok, out.slice(-4000)).toMatch(new RegExp(`Record-Route: [^\\n]*127\\.0\\.0\\.1:${String(tlsPort)};transport=tls`, 'i'));
    expect(p.child.output()).toMatch(/INVITE sip:bob@localhost\S* SIP\/2\.0\s+Via: SIP\/2\.0\/TLS/);
  });
});
