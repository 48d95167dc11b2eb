// A registrar and proxy: REGISTER stores the Contact list of the To user and answers 200 (with a
// To tag); any other request for a registered user is answered 100 Trying and proxied to the
// user's first contact (proxy.send, the default callback relays the responses); requests for
// anyone else get 404.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), APP_LIFETIME_MS (the app
// exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var proxy = require(IMPL + '/proxy');
var util = require('util');
var crypto = require('crypto');

var trace = !!process.env.SIP_TRACE;
var contacts = {};

function log(o) { console.log(JSON.stringify(o)); }

proxy.start({
  port: +process.env.SIP_PORT,
  address: process.env.SIP_ADDRESS || '127.0.0.1',
  logger: {
    send: function(m) { if(trace) console.error('send', util.inspect(m, {depth: null})); },
    recv: function(m) { if(trace) console.error('recv', util.inspect(m, {depth: null})); },
    error: function(e) { console.error('error', e && e.stack || e); }
  }
},
function(rq) {
  if(rq.method === 'REGISTER') {
    var user = sip.parseUri(rq.headers.to.uri).user;
    contacts[user] = rq.headers.contact;

    var rs = sip.makeResponse(rq, 200, 'OK');
    rs.headers.to.params.tag = crypto.randomBytes(6).toString('hex');
    rs.headers.contact = rq.headers.contact;
    proxy.send(rs);
    log({method: 'REGISTER', user: user, status: 200});
  }
  else {
    var callee = sip.parseUri(rq.uri).user;
    var list = contacts[callee];

    if(Array.isArray(list) && list.length > 0) {
      rq.uri = list[0].uri;
      if(rq.method === 'INVITE') proxy.send(sip.makeResponse(rq, 100, 'Trying'));
      proxy.send(rq);
      log({method: rq.method, user: callee, forwardedTo: rq.uri});
    }
    else if(rq.method !== 'ACK') {
      proxy.send(sip.makeResponse(rq, 404, 'Not Found'));
      log({method: rq.method, user: callee || null, status: 404});
    }
  }
});

function shutdown() {
  if(proxy.stop) proxy.stop(); else sip.stop(); // the classic 0.0.6 proxy.stop is undefined
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
