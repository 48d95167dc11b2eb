/**
 * Debian's kamailio 5.6 with its TLS module (package kamailio-tls-modules) for the TLS interop
 * tests, both ways: a TLS server (it answers OPTIONS addressed to itself, logging the SNI name and
 * the client certificate it verified) and a TLS client (every other request is record-routed and
 * relayed statefully over TLS to `next`, presenting a client certificate and verifying the next
 * hop's against the test CA). UDP and TLS on loopback; its own process group, killed as a whole.
 * @see /usr/share/doc/kamailio/modules/README.tls.gz, README.rr.gz, README.tm.gz
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startKamailio, type Child } from '@sipts/test-peers';
import { TLS_NAME, type TlsFiles } from './tls-certs.js';


/** tls.cfg: one server and one client profile, both verifying the peer against the test CA. */
export function kamailioTlsProfiles(files: TlsFiles, server: { cert: string; key: string }): string {
  return `[server:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = ${server.key}
certificate = ${server.cert}
ca_list = ${files.caCert}

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
private_key = ${files.clientKey}
certificate = ${files.clientCert}
ca_list = ${files.caCert}
server_name = ${TLS_NAME}
`;
}

/** kamailio.cfg: UDP and TLS listeners; OPTIONS to itself answered, the rest relayed to `next` over TLS. */
export function kamailioTlsConfig(ports: { udp: number; tls: number }, tlsCfg: string, next: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
tcp_children=1
enable_tls=yes
auto_aliases=no
listen=udp:127.0.0.1:${String(ports.udp)}
listen=tls:127.0.0.1:${String(ports.tls)}

loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "xlog.so"

modparam("tls", "config", "${tlsCfg}")
modparam("tm", "fr_timer", 3000)

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (is_method("OPTIONS") && $rU == $null) {
    xlog("L_NOTICE", "sipts-tls: OPTIONS over $pr sni=$tls_peer_server_name peer=$tls_peer_subject_cn verified=$tls_peer_verified via=$hdr(Via)\\n");
    sl_send_reply("200", "OK");
    exit;
  }
  if (loose_route()) {
    xlog("L_NOTICE", "sipts-tls: $rm in dialog to $du $ru\\n");
    t_relay();
    exit;
  }
  if (!has_totag()) record_route();
  $du = "${next}";
  xlog("L_NOTICE", "sipts-tls: $rm relayed to $du\\n");
  if (!t_relay()) sl_reply_error();
  exit;
}

onreply_route {
  xlog("L_NOTICE", "sipts-tls: reply $rs over $pr\\n");
}
`;
}

/** A running kamailio with TLS. */
export interface KamailioTls {
  udp: number;
  tls: number;
  child: Child;
  stop(): Promise<unknown>;
}

/**
 * Starts kamailio with TLS (server certificate `server`, default the trusted one) relaying to
 * `next` (e.g. `sip:127.0.0.1:5061;transport=tls`), and waits until both ports listen.
 */
export async function startKamailioTls(dir: string, files: TlsFiles, next: string, server = { cert: files.serverCert, key: files.serverKey }): Promise<KamailioTls> {
  const udp = await freePort();
  let tls = await freePort();
  while (tls === udp) tls = await freePort();
  const work = mkdtempSync(join(dir, 'kamailio-tls-'));
  const tlsCfg = join(work, 'tls.cfg');
  writeFileSync(tlsCfg, kamailioTlsProfiles(files, server));
  const child = await startKamailio({
    dir: work,
    config: kamailioTlsConfig({ udp, tls }, tlsCfg, next),
    listens: [
      { protocol: 'UDP', port: udp },
      { protocol: 'TCP', port: tls },
    ],
    memoryMb: { shared: 64, private: 8 },
  });
  return { udp, tls, child, stop: child.kill };
}
