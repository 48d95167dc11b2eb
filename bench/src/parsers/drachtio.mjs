/**
 * drachtio-sip: `new SipMessage(string)` keeps raw header strings (lazy); `getParsedHeader(name)`
 * parses one header from its string on every call (no cache).
 */
import { createRequire } from 'node:module';
import { len, touch } from '../touch.mjs';

const require = createRequire(import.meta.url);
const { SipMessage } = require('drachtio-sip');

export const label = 'drachtio-sip';
export const version = require('drachtio-sip/package.json').version;

/** SipMessage accepts only a string, so the Buffer is decoded first (part of the measured work). */
export function parse(bytes) {
  return new SipMessage(bytes.toString('utf8'));
}

export function keys(m) {
  const via = m.getParsedHeader('via')[0];
  const from = m.getParsedHeader('from');
  const to = m.getParsedHeader('to');
  const cseq = m.getParsedHeader('cseq');
  return {
    branch: via.params.branch,
    host: via.host,
    port: via.port,
    fromTag: from.params.tag,
    toTag: to.params.tag,
    callId: m.get('call-id'),
    seq: cseq.seq,
    method: cseq.method,
  };
}

export function readKeys(m) {
  const via = m.getParsedHeader('via')[0];
  const from = m.getParsedHeader('from');
  const to = m.getParsedHeader('to');
  const cseq = m.getParsedHeader('cseq');
  return (
    len(via.params.branch) + len(via.host) + (via.port ?? 0) + len(from.params.tag) + len(to.params.tag) +
    len(m.get('call-id')) + cseq.seq + len(cseq.method)
  );
}

/** Every header through getParsedHeader (generic headers come back as their string). */
export function readAll(m) {
  let n = 0;
  for (const k in m.headers) n += k.length + touch(m.getParsedHeader(k));
  return n;
}

/** SipMessage#toString → parser.stringifySipMessage (raw header strings written back). */
export const serializers = { toString: (m) => m.toString() };
