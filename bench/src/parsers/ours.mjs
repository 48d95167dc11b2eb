/** @sipts/message (the built package, dist/index.js). */
import { createRequire } from 'node:module';
import { parseMessage, serializeMessage, stringify } from '@sipts/message';
import { len, touch } from '../touch.mjs';

const require = createRequire(import.meta.url);

export const label = '@sipts/message';
export const version = require('@sipts/message/package.json').version;

/** Strict parse straight from the bytes a socket delivers; throws SipParseError. */
export function parse(bytes) {
  return parseMessage(bytes);
}

/** Transaction keys as plain values, for verification. */
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

/** Mode (a): read the transaction keys into a number. */
export function readKeys(m) {
  const h = m.headers;
  const via = h.via[0];
  const cseq = h.cseq;
  return (
    len(via.params.branch) + len(via.host) + (via.port ?? 0) + len(h.from.params.tag) + len(h.to.params.tag) +
    len(h['call-id']) + cseq.seq + len(cseq.method)
  );
}

/** Mode (b): every header key and value. */
export function readAll(m) {
  const h = m.headers;
  let n = 0;
  for (const k in h) n += k.length + touch(h[k]);
  return n;
}

/** Modes (c) and (d). */
export const serializers = { stringify, serializeMessage };
