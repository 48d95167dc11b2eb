/**
 * The baseline of the server benchmark: a registrar + proxy in the style of the classic `sip`
 * package's examples (registrar-proxy and registrar-redirector-auth), on npm sip@0.0.6 (a
 * devDependency of bench), UDP only on 127.0.0.1. Written for this benchmark:
 *  - REGISTER: with `usersFile`, digest authentication with the classic `sip/digest` module as its
 *    auth example does (a digest session per user: 401 with a challenge, then the check), then the
 *    Contact list is kept per user in memory and answered 200 (no expiry: the classic example has
 *    none). Without `usersFile`, no authentication (the registrar-proxy example).
 *  - INVITE from a configured user (its From), out of dialog: proxy authentication with
 *    `sip/digest` (407; a digest session per Call-ID, dropped once it succeeds), as sipts does for
 *    requests from local users.
 *  - an in-dialog request (To tag) goes to its Request-URI unchecked (the classic proxy adds no
 *    Record-Route, so ACK and BYE name the callee's Contact); any other request to a registered
 *    user is proxied to its first contact, else 404.
 * argv[2]: JSON {port, rcvbuf, usersFile?, realm?}; usersFile is JSON [{user, password}].
 * Talks to main.mjs over IPC (../transaction/uas-ipc.mjs).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serveParent } from '../transaction/uas-ipc.mjs';
import { enlargeUdpBuffers } from '../transaction/udp-buffers.mjs';

const require = createRequire(import.meta.url);
const sip = require('sip');
const proxy = require('sip/proxy');
const digest = require('sip/digest');
const opts = JSON.parse(process.argv[2] ?? '{}');
enlargeUdpBuffers(opts.rcvbuf ?? 0);

const realm = opts.realm ?? 'localhost';
/** user → { password, session } when authenticating. */
const users = new Map((opts.usersFile ? JSON.parse(readFileSync(opts.usersFile, 'utf8')) : []).map((u) => [u.user, { password: u.password }]));
const authenticating = users.size > 0;
/** Call-ID → digest session of a proxy challenge in progress (bounded). */
const proxySessions = new Map();
const MAX_PROXY_SESSIONS = 100_000;
const bindings = new Map();
const counters = { registers: 0, routed: 0, notFound: 0, challenged: 0 };
let tag = 0;

const respond = (rq, status, reason) => {
  const rs = sip.makeResponse(rq, status, reason);
  rs.headers.to.params.tag = `r${(++tag).toString(36)}`;
  return rs;
};

/** True when the REGISTER carries valid credentials; else it has been answered 401. */
function registerAuthenticated(rq, user) {
  const info = users.get(user);
  if (!info) {
    // Unknown users get a challenge too, as the classic auth example does (hides who exists).
    proxy.send(digest.challenge({ realm }, respond(rq, 401, 'Authentication Required')));
    return false;
  }
  info.session = info.session || { realm };
  if (digest.authenticateRequest(info.session, rq, { user, password: info.password })) return true;
  counters.challenged++;
  proxy.send(digest.challenge(info.session, respond(rq, 401, 'Authentication Required')));
  return false;
}

/** True when the INVITE needs no proxy authentication or carries valid credentials; else answered 407. */
function inviteAuthenticated(rq) {
  if (!authenticating || rq.method !== 'INVITE' || rq.headers.to.params.tag) return true;
  const from = sip.parseUri(rq.headers.from.uri).user;
  const info = users.get(from);
  if (!info) return true; // a caller from elsewhere: nobody to authenticate against
  const callId = rq.headers['call-id'];
  let session = proxySessions.get(callId);
  if (session && digest.authenticateRequest(session, rq, { user: from, password: info.password })) {
    proxySessions.delete(callId);
    delete rq.headers['proxy-authorization'];
    return true;
  }
  if (!session) {
    if (proxySessions.size >= MAX_PROXY_SESSIONS) proxySessions.delete(proxySessions.keys().next().value);
    session = { realm };
    proxySessions.set(callId, session);
  }
  counters.challenged++;
  proxy.send(digest.challenge(session, respond(rq, 407, 'Proxy Authentication Required')));
  return false;
}

proxy.start({ port: opts.port, address: '127.0.0.1', hostname: 'classic-registrar.invalid', tcp: false }, (rq) => {
  if (rq.method === 'REGISTER') {
    const user = sip.parseUri(rq.headers.to.uri).user;
    if (authenticating && !registerAuthenticated(rq, user)) return;
    counters.registers++;
    bindings.set(user, rq.headers.contact);
    const rs = respond(rq, 200, 'OK');
    rs.headers.contact = rq.headers.contact;
    proxy.send(rs);
    return;
  }
  if (!inviteAuthenticated(rq)) return;
  if (rq.headers.to.params.tag) {
    // In dialog: to its Request-URI, unchecked, as the classic example does (it adds no Record-Route).
    counters.routed++;
    proxy.send(rq);
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
    proxy.send(respond(rq, 404, 'Not Found'));
  }
});
// proxy.stop is undefined in sip@0.0.6 (a documented gap): the process just exits on stop.
serveParent({ port: opts.port, counters: () => ({ ...counters }), stop: () => undefined });
