// A registrar and redirect server with digest authentication (RFC 2617 through the classic
// sip/digest module): a REGISTER must be signed with the user's password, otherwise it is
// challenged with 401 (users it does not know are challenged too, so as not to reveal who exists);
// an INVITE for a registered user is answered 302 with that user's contacts, for anyone else 404.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), REALM (default the host
// name), USERS (JSON {"user": "password"}, default 100/1234 and 101/qwerty), APP_LIFETIME_MS (the
// app exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var digest = require(IMPL + '/digest');
var util = require('util');
var os = require('os');

var trace = !!process.env.SIP_TRACE;
var realm = process.env.REALM || os.hostname();
var passwords = JSON.parse(process.env.USERS || '{"100": "1234", "101": "qwerty"}');

var accounts = {};
Object.keys(passwords).forEach(function(user) {
  accounts[user] = {password: passwords[user]};
});

function answer(rq, rs, outcome) {
  sip.send(rs);
  console.log(JSON.stringify({method: rq.method, status: rs.status, outcome: outcome}));
}

sip.start({
  port: +process.env.SIP_PORT,
  address: process.env.SIP_ADDRESS || '127.0.0.1',
  logger: {
    send: function(m) { if(trace) console.error('send', util.inspect(m, {depth: null})); },
    recv: function(m) { if(trace) console.error('recv', util.inspect(m, {depth: null})); },
    error: function(e) { console.error('error', e && e.stack || e); }
  }
},
function(rq) {
  try {
    if(rq.method === 'REGISTER') {
      var user = sip.parseUri(rq.headers.to.uri).user;
      var account = accounts[user];

      if(!account) {
        answer(rq, digest.challenge({realm: realm}, sip.makeResponse(rq, 401, 'Unauthorized')), 'unknown-user');
      }
      else {
        account.session = account.session || {realm: realm};
        if(!digest.authenticateRequest(account.session, rq, {user: user, password: account.password})) {
          answer(rq, digest.challenge(account.session, sip.makeResponse(rq, 401, 'Unauthorized')), 'challenged');
        }
        else {
          account.contact = rq.headers.contact;
          var rs = sip.makeResponse(rq, 200, 'OK');
          rs.headers.contact = rq.headers.contact;
          answer(rq, rs, 'registered');
        }
      }
    }
    else if(rq.method === 'INVITE') {
      var callee = accounts[sip.parseUri(rq.uri).user];

      if(callee && Array.isArray(callee.contact) && callee.contact.length > 0) {
        var moved = sip.makeResponse(rq, 302, 'Moved Temporarily');
        moved.headers.contact = callee.contact;
        answer(rq, moved, 'redirected');
      }
      else {
        answer(rq, sip.makeResponse(rq, 404, 'Not Found'), 'not-registered');
      }
    }
    else if(rq.method !== 'ACK') {
      answer(rq, sip.makeResponse(rq, 405, 'Method Not Allowed'), 'method');
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
