/** The classic `sip` package (kirm), 0.0.6: sip.parse / sip.stringify. */
import { createRequire } from 'node:module';
import { len, touch } from '../touch.mjs';

const require = createRequire(import.meta.url);
const sip = require('sip');

export const label = 'sip (classic)';
export const version = require('sip/package.json').version;

/** sip.parse takes the Buffer itself (it calls toString('binary')); undefined on failure. */
export function parse(bytes) {
  const m = sip.parse(bytes);
  if (m === undefined) throw new Error('sip.parse returned undefined');
  return m;
}

// Same object model as ours.
export function keys(m) {
  const h = m.headers;
  const via = h.via[0];
  return {
    branch: via.params.branch,
    host: via.host,
    port: via.port,
    fromTag: h.from.params.tag,
    toTag: h.to.params.tag,
    callId: h['call-id'],
    seq: h.cseq.seq,
    method: h.cseq.method,
  };
}

export function readKeys(m) {
  const h = m.headers;
  const via = h.via[0];
  const cseq = h.cseq;
  return (
    len(via.params.branch) + len(via.host) + (via.port ?? 0) + len(h.from.params.tag) + len(h.to.params.tag) +
    len(h['call-id']) + cseq.seq + len(cseq.method)
  );
}

export function readAll(m) {
  const h = m.headers;
  let n = 0;
  for (const k in h) n += k.length + touch(h[k]);
  return n;
}

/** sip.stringify sets headers['content-length'] on the message it is given (harmless here). */
export const serializers = { stringify: sip.stringify };
