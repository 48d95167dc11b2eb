// The redirect server of the classic API documentation: every request is answered
// "302 Moved Temporarily" with a Contact that is the request URI moved to a backup host.
//
// Environment: SIP_PORT (UDP and TCP), SIP_ADDRESS (default 127.0.0.1), BACKUP_HOST,
// APP_LIFETIME_MS (the app exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var util = require('util');

var backupHost = process.env.BACKUP_HOST || 'backup.somewhere.net';
var trace = !!process.env.SIP_TRACE;

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
  if(rq.method === 'ACK') { // an ACK for a 2xx; the ACKs for our 302s stay in their transactions
    console.log(JSON.stringify({method: 'ACK'}));
    return;
  }

  var rs = sip.makeResponse(rq, 302, 'Moved Temporarily');

  var uri = sip.parseUri(rq.uri);
  uri.host = backupHost;
  rs.headers.contact = [{uri: uri}];

  sip.send(rs);
  console.log(JSON.stringify({method: rq.method, status: 302, contact: sip.stringifyUri(uri)}));
});

function shutdown() {
  sip.stop();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
