// A registrar and redirect server: REGISTER stores the request's Contact list under the user of
// its To URI and answers 200 with it; an INVITE for a registered user is answered 302 with that
// user's contacts, for anyone else 404; other methods get 405.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), APP_LIFETIME_MS (the app
// exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// With TLS_PORT, TLS_KEY and TLS_CERT (PEM files) it also listens on TLS (the classic package's
// TLS example is this same app with a `tls` option).
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var util = require('util');
var fs = require('fs');

var trace = !!process.env.SIP_TRACE;
var registry = {};

var options = {
  port: +process.env.SIP_PORT,
  address: process.env.SIP_ADDRESS || '127.0.0.1',
  logger: {
    send: function(m) { if(trace) console.error('send', util.inspect(m, {depth: null})); },
    recv: function(m) { if(trace) console.error('recv', util.inspect(m, {depth: null})); },
    error: function(e) { console.error('error', e && e.stack || e); }
  }
};

if(process.env.TLS_PORT) {
  options.tls_port = +process.env.TLS_PORT;
  options.tls = {
    key: fs.readFileSync(process.env.TLS_KEY),
    cert: fs.readFileSync(process.env.TLS_CERT)
  };
}

function answer(rq, rs, remote) {
  sip.send(rs);
  console.log(JSON.stringify({method: rq.method, protocol: remote && remote.protocol, status: rs.status}));
}

sip.start(options, function(rq, remote) {
  try {
    if(rq.method === 'REGISTER') {
      var user = sip.parseUri(rq.headers.to.uri).user;
      registry[user] = rq.headers.contact;

      var ok = sip.makeResponse(rq, 200, 'OK');
      ok.headers.contact = rq.headers.contact;
      answer(rq, ok, remote);
    }
    else if(rq.method === 'INVITE') {
      var contacts = registry[sip.parseUri(rq.uri).user];

      if(Array.isArray(contacts) && contacts.length > 0) {
        var moved = sip.makeResponse(rq, 302, 'Moved Temporarily');
        moved.headers.contact = contacts;
        answer(rq, moved, remote);
      }
      else {
        answer(rq, sip.makeResponse(rq, 404, 'Not Found'), remote);
      }
    }
    else if(rq.method !== 'ACK') {
      answer(rq, sip.makeResponse(rq, 405, 'Method Not Allowed'), remote);
    }
  }
  catch(e) {
    console.error('error', e.stack);
    sip.send(sip.makeResponse(rq, 500, 'Server Internal Error'));
  }
});

function shutdown() {
  sip.stop();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
