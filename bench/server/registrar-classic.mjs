/**
 * The baseline of the server benchmark: a registrar + proxy in the style of the classic `sip`
 * package's registrar-proxy example, on npm sip@0.0.6 (a devDependency of bench), UDP only on
 * 127.0.0.1. Written for this benchmark: REGISTER stores the Contact list per user in memory and
 * answers 200 (no authentication, no expiry: the classic example has neither), any other request
 * to a registered user is proxied to its first contact, else 404.
 * argv[2]: JSON {port, rcvbuf}. Talks to main.mjs over IPC (../transaction/uas-ipc.mjs).
 */
import { createRequire } from 'node:module';
import { serveParent } from '../transaction/uas-ipc.mjs';
import { enlargeUdpBuffers } from '../transaction/udp-buffers.mjs';

const require = createRequire(import.meta.url);
const sip = require('sip');
const proxy = require('sip/proxy');
const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);

const bindings = new Map();
const counters = { registers: 0, routed: 0, notFound: 0 };
let tag = 0;

proxy.start({ port: opts.port, address: '127.0.0.1', hostname: 'classic-registrar.invalid', tcp: false }, (rq) => {
  if (rq.method === 'REGISTER') {
    counters.registers++;
    const user = sip.parseUri(rq.headers.to.uri).user;
    bindings.set(user, rq.headers.contact);
    const rs = sip.makeResponse(rq, 200, 'OK');
    rs.headers.to.params.tag = `r${(++tag).toString(36)}`;
    proxy.send(rs);
    return;
  }
  const user = sip.parseUri(rq.uri).user;
  const contacts = bindings.get(user);
  if (Array.isArray(contacts) && contacts.length > 0) {
    counters.routed++;
    rq.uri = contacts[0].uri;
    proxy.send(rq);
  } else {
    counters.notFound++;
    proxy.send(sip.makeResponse(rq, 404, 'Not Found'));
  }
});
// proxy.stop is undefined in sip@0.0.6 (a documented gap): the process just exits on stop.
serveParent({ port: opts.port, counters: () => ({ ...counters }), stop: () => undefined });
