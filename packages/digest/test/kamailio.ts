/**
 * kamailio for the interop tests: a minimal kamailio.cfg (UDP on loopback, tm/sl/pv/xlog/auth,
 * REGISTER challenged until `pv_www_authenticate` accepts a static password; `algorithm`, `qop=auth`,
 * `nonce_count` and `add_authinfo_hdr` set in the auth module) and kamailio started in the
 * foreground in its own process group, which stop() kills as a whole.
 * @see /usr/share/doc/kamailio/modules/README.auth.gz (kamailio 5.6)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { children, freePort, MAX_OUTPUT } from './children.js';

const KAMAILIO = '/usr/sbin/kamailio';

/** A kamailio.cfg: REGISTER answered 401 until pv_www_authenticate accepts the static password. */
export function kamailioConfig(port: number, algorithm: 'MD5' | 'SHA-256', password: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:${String(port)}

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "auth.so"

modparam("auth", "algorithm", "${algorithm}")
modparam("auth", "qop", "auth")
modparam("auth", "nonce_count", 1)
modparam("auth", "add_authinfo_hdr", 1)
modparam("auth", "secret", "sipts-interop-secret-0123456789abcdef")

request_route {
  if (!t_newtran()) {
    sl_reply_error();
    exit;
  }
  if (!pv_www_authenticate("$td", "${password}", "0")) {
    xlog("L_INFO", "sipts-interop: auth failed ($rc) for $au\\n");
    www_challenge("$td", "1");
    exit;
  }
  xlog("L_INFO", "sipts-interop: auth ok for $au\\n");
  t_reply("200", "OK");
  exit;
}
`;
}

/** A running kamailio. */
export interface Kamailio {
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts kamailio in the foreground (its own process group, killed as a whole) on a free port. */
export async function startKamailio(dir: string, algorithm: 'MD5' | 'SHA-256', password: string): Promise<Kamailio> {
  const port = await freePort();
  const cfg = join(dir, `kamailio-${algorithm}.cfg`);
  writeFileSync(cfg, kamailioConfig(port, algorithm, password));
  const runDir = mkdtempSync(join(dir, 'run-'));
  const child = spawn(KAMAILIO, ['-DD', '-E', '-f', cfg, '-Y', runDir, '-w', dir, '-m', '32', '-M', '4'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let output = '';
  const collect = (d: Buffer): void => {
    if (output.length < MAX_OUTPUT) output += d.toString('latin1');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const killGroup = (): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  // Bounded: kamailio never outlives the suite by more than this.
  const timer = setTimeout(killGroup, 40_000);
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.once('error', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
  });
  return {
    port,
    output: () => output,
    stop: async () => {
      killGroup();
      await exited;
    },
  };
}
