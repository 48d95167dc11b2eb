// A registrar and proxy for WebSocket clients (RFC 7118) with SIP outbound (RFC 5626): a client
// that registers over a WebSocket with +sip.instance and reg-id is reached through the flow its
// REGISTER came in on (a flow URI from sip.encodeFlowUri, as a Route). An out-of-dialog request for
// a registered user is proxied to its newest binding and Record-Routed through the flows on both
// sides; in-dialog requests follow their Route set; requests for unknown users get 404.
//
// Environment: SIP_PORT (UDP and TCP), WS_PORT, SIP_ADDRESS (default 127.0.0.1), APP_LIFETIME_MS
// (the app exits after this long, default 60 s), SIP_TRACE=1 to log messages.
// SIP_IMPL picks the sip implementation (default @sipts/sip; a path to the classic package works too).
'use strict';

var IMPL = process.env.SIP_IMPL || '@sipts/sip';
var sip = require(IMPL);
var proxy = require(IMPL + '/proxy');
var util = require('util');
var crypto = require('crypto');

var trace = !!process.env.SIP_TRACE;
var bindings = {}; // user -> { key -> {contact, expires, seq, route} }

function log(o) { console.log(JSON.stringify(o)); }

function liveBindings(user) {
  var record = bindings[user] || {};
  var now = Date.now();
  return Object.keys(record)
    .map(function(k) { return record[k]; })
    .filter(function(b) { return b.expires > now; })
    .sort(function(a, b) { return b.updated - a.updated; });
}

// A Route/Record-Route entry that sends through `flow`.
function flowRoute(flow) {
  var uri = sip.encodeFlowUri(flow);
  uri.params.lr = null;
  return {uri: uri};
}

function onRegister(rq, flow) {
  var user = sip.parseUri(rq.headers.to.uri).user;
  var contacts = rq.headers.contact || [];
  var record = bindings[user] = bindings[user] || {};
  var outbound = false;

  if(contacts.length === 1 && contacts[0].uri === '*') {
    bindings[user] = {};
  }
  else {
    contacts.forEach(function(c) {
      var instance = c.params['+sip.instance'];
      var regId = c.params['reg-id'];
      var ob = !!(instance && regId);
      var key = ob ? instance + ',' + regId : sip.stringifyUri(c.uri);
      var seconds = +(c.params.expires !== undefined && c.params.expires !== null ? c.params.expires : (rq.headers.expires || 3600));
      var old = record[key];

      if(old && old.callId === rq.headers['call-id'] && old.seq >= rq.headers.cseq.seq) return; // stale or replayed

      if(seconds === 0) {
        delete record[key];
        return;
      }
      outbound = outbound || ob;
      record[key] = {
        contact: {uri: c.uri, params: {expires: String(seconds)}},
        expires: Date.now() + seconds * 1000,
        updated: Date.now(),
        callId: rq.headers['call-id'],
        seq: rq.headers.cseq.seq,
        route: ob ? [flowRoute(flow)] : []
      };
    });
  }

  if(!rq.headers.to.params.tag) rq.headers.to.params.tag = crypto.randomBytes(8).toString('hex');

  var live = liveBindings(user);
  proxy.send(sip.makeResponse(rq, 200, 'OK', {headers: {
    contact: live.length ? live.map(function(b) { return b.contact; }) : undefined,
    require: outbound ? 'outbound' : undefined,
    supported: 'path, outbound'
  }}));
  log({method: 'REGISTER', user: user, protocol: flow.protocol, status: 200, bindings: live.length, outbound: outbound});
}

function forwardOutOfDialog(rq, flow) {
  var user = rq.uri.user;
  var target = liveBindings(user)[0];

  if(!target) {
    proxy.send(sip.makeResponse(rq, 404, 'Not Found'));
    log({method: rq.method, user: user || null, status: 404});
    return;
  }

  rq.uri = target.contact.uri;
  if(target.route.length) {
    rq.headers.route = target.route.concat(rq.headers.route || []);
    // Both flows stay in the dialog's route set: the callee's requests leave through the caller's
    // flow (the first entry), the caller's through the callee's flow.
    rq.headers['record-route'] = [flowRoute(flow)].concat(target.route, rq.headers['record-route'] || []);
  }
  proxy.send(rq);
  log({method: rq.method, user: user, protocol: flow.protocol, forwardedTo: sip.stringifyUri(rq.uri)});
}

function forwardInDialog(rq, flow) {
  // A Route back to the flow the request came in on would send it back where it came from.
  var route = rq.headers.route;
  if(route && route.length) {
    var back = sip.decodeFlowUri(route[0].uri);
    if(back && back.protocol === flow.protocol && back.address === flow.address && +back.port === +flow.port) route.shift();
  }
  proxy.send(rq);
  log({method: rq.method, protocol: flow.protocol, inDialog: true});
}

proxy.start({
  port: +process.env.SIP_PORT,
  address: process.env.SIP_ADDRESS || '127.0.0.1',
  ws_port: +process.env.WS_PORT,
  logger: {
    send: function(m) { if(trace) console.error('send', util.inspect(m, {depth: null})); },
    recv: function(m) { if(trace) console.error('recv', util.inspect(m, {depth: null})); },
    error: function(e) { console.error('error', e && e.stack || e); }
  }
},
function(rq, flow) {
  rq.uri = sip.parseUri(rq.uri);

  if(rq.method === 'REGISTER')
    onRegister(rq, flow);
  else if(!rq.headers.to.params.tag)
    forwardOutOfDialog(rq, flow);
  else
    forwardInDialog(rq, flow);
});

function shutdown() {
  if(proxy.stop) proxy.stop(); else sip.stop(); // the classic 0.0.6 proxy.stop is undefined
  process.exit(0);
}
process.on('SIGTERM', shutdown);
setTimeout(shutdown, +process.env.APP_LIFETIME_MS || 60000);
setImmediate(function() { console.log('ready'); });
