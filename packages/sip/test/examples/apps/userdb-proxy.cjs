// The proxy of the classic API documentation: requests for a user the user database knows are
// proxied to that user's contact (proxy.send with the default callback relays the responses
// back); requests for anyone else, or with no user in the request URI, get 404.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), USERDB (see userdb.cjs),
// APP_LIFETIME_MS (the app exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var proxy = require(IMPL + '/proxy');
var util = require('util');
var db = require('./userdb.cjs');

var trace = !!process.env.SIP_TRACE;

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
  var user = sip.parseUri(rq.uri).user;
  var contact = user && db.getContact(user);

  if(contact) {
    console.log(JSON.stringify({method: rq.method, user: user, forwardedTo: contact}));
    rq.uri = contact;
    proxy.send(rq);
  }
  else if(rq.method !== 'ACK') {
    console.log(JSON.stringify({method: rq.method, user: user || null, status: 404}));
    proxy.send(sip.makeResponse(rq, 404, 'Not Found'));
  }
});

function shutdown() {
  if(proxy.stop) proxy.stop(); else sip.stop(); // the classic 0.0.6 proxy.stop is undefined
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
