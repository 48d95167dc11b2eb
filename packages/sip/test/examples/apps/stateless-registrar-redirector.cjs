// A stateless registrar and redirect server on the classic transport layer alone
// (sip.makeTransport, no transactions): every request that arrives, retransmissions included, is
// answered straight to where it came from. REGISTER stores the Contact list of the To user and
// answers 200; any other request (ACK aside) is answered 302 with the contacts of the request
// URI's user, or 404 when that user has not registered.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), APP_LIFETIME_MS (the app
// exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var util = require('util');

var trace = !!process.env.SIP_TRACE;
var registry = {};

var transport = sip.makeTransport({
  port: +process.env.SIP_PORT,
  address: process.env.SIP_ADDRESS || '127.0.0.1',
  logger: {
    send: function(m) { if(trace) console.error('send', util.inspect(m, {depth: null})); },
    recv: function(m) { if(trace) console.error('recv', util.inspect(m, {depth: null})); }
  }
},
function(m, remote) {
  if(!m.method || m.method === 'ACK') return; // responses and ACKs need no answer

  var rs;
  try {
    if(m.method === 'REGISTER') {
      registry[sip.parseUri(m.headers.to.uri).user] = m.headers.contact;
      rs = sip.makeResponse(m, 200, 'OK');
      rs.headers.contact = m.headers.contact;
    }
    else {
      var contacts = registry[sip.parseUri(m.uri).user];
      if(Array.isArray(contacts) && contacts.length > 0) {
        rs = sip.makeResponse(m, 302, 'Moved Temporarily');
        rs.headers.contact = contacts;
      }
      else {
        rs = sip.makeResponse(m, 404, 'Not Found');
      }
    }
  }
  catch(e) {
    console.error('error', e.stack);
    rs = sip.makeResponse(m, 500, 'Server Internal Error');
  }

  transport.send(remote, rs);
  console.log(JSON.stringify({method: m.method, branch: m.headers.via[0].params.branch, protocol: remote.protocol, status: rs.status}));
});

function shutdown() {
  transport.destroy();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
