/**
 * kamailio for the interop tests: a minimal kamailio.cfg (UDP on loopback, tm/sl/pv/xlog/auth,
 * REGISTER challenged until `pv_www_authenticate` accepts a static password; `algorithm`, `qop=auth`,
 * `nonce_count` and `add_authinfo_hdr` set in the auth module) and kamailio started in the
 * foreground in its own process group (tools/test-peers), which stop() kills as a whole.
 * @see /usr/share/doc/kamailio/modules/README.auth.gz (kamailio 5.6)
 */
import { freePort, kamailioUdpHead, startKamailio as startKamailioChild } from '@sipts/test-peers';

/** A kamailio.cfg: REGISTER answered 401 until pv_www_authenticate accepts the static password. */
export function kamailioConfig(port: number, algorithm: 'MD5' | 'SHA-256', password: string): string {
  return `${kamailioUdpHead({ port, modules: ['tm', 'sl', 'pv', 'xlog', 'auth'] })}

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

/**
 * Starts kamailio on a free port (tools/test-peers: its own process group, waited for until it
 * listens); it lives until `stop()`, however long the tests that use it take.
 */
export async function startKamailio(dir: string, algorithm: 'MD5' | 'SHA-256', password: string): Promise<Kamailio> {
  const port = await freePort();
  const child = await startKamailioChild({ dir, config: kamailioConfig(port, algorithm, password), listens: [{ protocol: 'UDP', port }] });
  return {
    port,
    output: () => child.output(),
    stop: async () => {
      await child.kill();
    },
  };
}
