// A classic-style UAS that rings and is cancelled, written as classic sip apps were: every INVITE
// gets 180 Ringing and rings until a CANCEL comes; the app then answers the CANCEL 200 and the
// INVITE 487 itself, as the classic API required (the stack there did neither). Any other request
// (for a sip:, sips: or tel: URI or not) is answered 200, as a naive classic app would.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), APP_LIFETIME_MS (the app
// exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var util = require('util');

var trace = !!process.env.SIP_TRACE;
var ringing = new Map(); // Call-ID → the INVITE and its To tag, until it is cancelled
var MAX_RINGING = 1000;

function tag() {
  return Math.floor(Math.random() * 1e12).toString(36);
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
  var callId = rq.headers['call-id'];
  if(rq.method === 'ACK') return;
  if(rq.method === 'INVITE') {
    var rs = sip.makeResponse(rq, 180, 'Ringing');
    var toTag = tag();
    rs.headers.to.params.tag = toTag;
    if(ringing.size >= MAX_RINGING) ringing.delete(ringing.keys().next().value);
    ringing.set(callId, {rq: rq, tag: toTag});
    sip.send(rs);
    console.log(JSON.stringify({method: 'INVITE', status: 180}));
    return;
  }
  if(rq.method === 'CANCEL') {
    var call = ringing.get(callId);
    sip.send(sip.makeResponse(rq, 200, 'OK'));
    if(call) {
      ringing.delete(callId);
      var rs487 = sip.makeResponse(call.rq, 487, 'Request Terminated');
      rs487.headers.to.params.tag = call.tag;
      sip.send(rs487);
    }
    console.log(JSON.stringify({method: 'CANCEL', status: 200, invite: call ? 487 : null}));
    return;
  }
  sip.send(sip.makeResponse(rq, 200, 'OK'));
  console.log(JSON.stringify({method: rq.method, uri: rq.uri, status: 200}));
});

function shutdown() {
  sip.stop();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
