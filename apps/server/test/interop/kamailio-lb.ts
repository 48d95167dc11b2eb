/**
 * Debian's kamailio (5.6) as a stateless SIP load balancer in front of sipts-server instances:
 * the dispatcher module picks an instance by a hash over the Call-ID (`ds_select_dst(1, 0)`), the
 * core forwards requests (`forward()`) and responses (by their Via) without transactions, Path
 * (RFC 3327) on REGISTER and Record-Route (RFC 3261 §16.6 step 4) on dialog-creating requests keep
 * the balancer on the way back to the phones, and OPTIONS probes every second mark a silent
 * instance down (`event_route[dispatcher:dst-down]` logs it). UDP on loopback only; kamailio runs
 * in the foreground in its own process group (`-DD -E`), killed as a whole.
 * @see /usr/share/doc/kamailio/modules/README.dispatcher.gz, README.path.gz, README.rr.gz
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, kamailioUdpHead, startKamailio, until, type Child } from '@sipts/test-peers';


/**
 * The balancer's kamailio.cfg. Why each piece is there:
 * - hash over the Call-ID (algorithm 0): every request of a call and every retransmission reaches
 *   the same instance, which matters for a transaction-stateful proxy behind a stateless
 *   balancer: a retransmitted INVITE, the ACK of a non-2xx (RFC 3261 §17.1.1.3) and a CANCEL
 *   (§9.1) must reach the instance holding the INVITE's server transaction. (The REGISTER 401 →
 *   REGISTER pair would not need it: nonces are HMACs of the shared `auth.secret`.)
 * - `forward()` is stateless (§16.11: the branch is derived from the incoming one, so a
 *   retransmission gets the same branch); responses come back to the balancer's Via and the core
 *   forwards them to the next Via (§18.2.2). There is no failure_route (that needs tm
 *   transactions), so failover comes from probing: OPTIONS every second (tm only for the probes,
 *   4 s timeout), an instance that misses three probes in a row is inactive and `ds_select_dst`
 *   hashes its calls to the next active one. (One missed probe of 1 s was enough before, and
 *   three of 2 s once at load 24: a live instance was taken out in the middle of the tests.)
 * - one log line per request the balancer forwards (`dispatched`, `routed`, `from-instance`, with
 *   method, CSeq, Call-ID and next hop): the tests count requests there, once per transaction, where
 *   the instances' `sipts_requests_total` also counts every UDP retransmission sipp makes.
 * - `add_path()` on REGISTER: the registrar stores the balancer in the binding's Path, so a call
 *   to the phone goes instance → balancer → phone, from the address the phone registered with
 *   (its NAT pinhole). Requests with a Route beyond the balancer (in-dialog) are loose-routed;
 *   a request from an instance whose only Route was the balancer's Path entry (`loose_route()`
 *   removes it and answers false for an out-of-dialog request) goes to its Request-URI.
 * - `record_route()` on dialog-creating requests (both on the way in and on the way back along a
 *   Path): in-dialog requests from either side come to the balancer first.
 */
export function lbConfig(port: number, listFile: string): string {
  return `${kamailioUdpHead({ port, children: 2, modules: ['tm', 'sl', 'rr', 'path', 'maxfwd', 'siputils', 'textops', 'pv', 'xlog', 'dispatcher'] })}

modparam("tm", "fr_timer", 4000)
modparam("dispatcher", "list_file", "${listFile}")
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_probing_threshold", 3)
modparam("dispatcher", "ds_inactive_threshold", 1)
modparam("dispatcher", "ds_ping_from", "sip:dispatcher@load-balancer.invalid")

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (is_method("INVITE|SUBSCRIBE|REFER") && !has_totag()) record_route();
  if (loose_route()) {
    xlog("L_NOTICE", "sipts-lb: routed $rm cseq=$cs ci=$ci du=$du ru=$ru\\n");
    forward();
    exit;
  }
  if (ds_is_from_list("1")) {
    # From an instance along the Path we added (loose_route removed our only Route): to the phone.
    xlog("L_NOTICE", "sipts-lb: from-instance $rm cseq=$cs ci=$ci du=$du ru=$ru\\n");
    forward();
    exit;
  }
  if (is_method("REGISTER")) add_path();
  if (!ds_select_dst("1", "0")) {
    sl_send_reply("503", "No Instance Available");
    exit;
  }
  xlog("L_NOTICE", "sipts-lb: dispatched $rm cseq=$cs ci=$ci du=$du ru=$ru\\n");
  forward();
  exit;
}

event_route[dispatcher:dst-down] {
  xlog("L_NOTICE", "sipts-lb: dst-down $ru\\n");
}

event_route[dispatcher:dst-up] {
  xlog("L_NOTICE", "sipts-lb: dst-up $ru\\n");
}
`;
}

/** One request the balancer forwarded, from its log line. */
export interface Forwarded {
  /** `dispatched` by the hash over the Call-ID, `routed` by its Route, `from-instance` along a Path. */
  kind: 'dispatched' | 'routed' | 'from-instance';
  method: string;
  cseq: number;
  callId: string;
  /** The port of the next hop on 127.0.0.1 (`$du`, else the Request-URI). */
  to: number;
}

/** Parses the balancer's `sipts-lb:` request lines out of its output, in order. */
export function forwardedIn(output: string): Forwarded[] {
  const line = /sipts-lb: (dispatched|routed|from-instance) (\S+) cseq=(\d+) ci=(\S+) du=(\S+) ru=(\S+)\n/g;
  return [...output.matchAll(line)].map((m) => {
    const hop = /^sip:127\.0\.0\.1:(\d+)/.exec(m[5] === '<null>' ? (m[6] ?? '') : (m[5] ?? ''));
    return { kind: m[1] as Forwarded['kind'], method: m[2] ?? '', cseq: Number(m[3]), callId: m[4] ?? '', to: Number(hop?.[1] ?? 0) };
  });
}

/** A running balancer. */
export interface LoadBalancer {
  /** Its UDP port on 127.0.0.1. */
  port: number;
  child: Child;
  /**
   * The requests it has forwarded so far (retransmissions included: count distinct CSeqs).
   * Its log reaches this process a little after the messages: wait for a count, never read once.
   */
  forwarded(): Forwarded[];
  /** Resolves once kamailio has logged that `uri` went down (its probes failed). */
  waitDown(uri: string, ms: number): Promise<void>;
  stop(): Promise<unknown>;
}

/**
 * Starts kamailio balancing over `instances` (UDP ports on 127.0.0.1, dispatcher set 1) and waits
 * until it listens. It lives until `stop()` (or the test process ends): no fixed lifetime.
 */
export async function startLoadBalancer(dir: string, instances: number[]): Promise<LoadBalancer> {
  const port = await freePort();
  const work = mkdtempSync(join(dir, 'kamailio-lb-'));
  const list = join(work, 'dispatcher.list');
  writeFileSync(list, instances.map((p) => `1 sip:127.0.0.1:${String(p)}\n`).join(''));
  const child = await startKamailio({ dir: work, config: lbConfig(port, list), listens: [{ protocol: 'UDP', port }] });
  return {
    port,
    child,
    forwarded: () => forwardedIn(child.output()),
    waitDown: (uri, ms) => until(() => child.output().includes(`sipts-lb: dst-down ${uri}\n`), ms, `kamailio to mark ${uri} down\n${child.output().slice(-3000)}`),
    stop: child.kill,
  };
}
