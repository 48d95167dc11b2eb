/**
 * Certificates made with openssl at test time for the TLS interop tests: a test CA; a server
 * certificate for `sip.test` and 127.0.0.1 (for sipts-server and kamailio alike); a client
 * certificate (mutual TLS); and a second, untrusted CA with a server certificate for the same
 * names. Files stay in `dir` (kamailio and the server read them by path).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the PEM files, and the CA texts. */
export interface TlsFiles {
  dir: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** A server certificate for the same names, from a CA nobody trusts. */
  untrustedKey: string;
  untrustedCert: string;
  untrustedCaCert: string;
  /** PEM text of `caCert`. */
  ca: string;
  /** PEM text of `untrustedCaCert`. */
  untrustedCa: string;
}

/** The server name in the certificates (and in SNI). */
export const TLS_NAME = 'sip.test';

/** Makes the CA and certificates in `dir` (2-day validity, RSA 2048). */
export function makeTlsFiles(dir: string): TlsFiles {
  mkdirSync(dir, { recursive: true });
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ca = (name: string, cn: string): void => {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`);
  };
  const leaf = (name: string, caName: string, cn: string, ext: string): void => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.cnf`), ext);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.cnf`);
  };
  const serverExt = `subjectAltName=DNS:${TLS_NAME},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`;
  ca('ca', 'sipts test CA');
  leaf('server', 'ca', TLS_NAME, serverExt);
  leaf('client', 'ca', 'client.sip.test', 'subjectAltName=DNS:client.sip.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  ca('untrusted-ca', 'nobody trusts this CA');
  leaf('untrusted', 'untrusted-ca', TLS_NAME, serverExt);
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverKey: p('server.key'),
    serverCert: p('server.crt'),
    clientKey: p('client.key'),
    clientCert: p('client.crt'),
    untrustedKey: p('untrusted.key'),
    untrustedCert: p('untrusted.crt'),
    untrustedCaCert: p('untrusted-ca.crt'),
    ca: readFileSync(p('ca.crt'), 'utf8'),
    untrustedCa: readFileSync(p('untrusted-ca.crt'), 'utf8'),
  };
}
