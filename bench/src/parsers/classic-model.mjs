/**
 * Readers for the classic object model, which @sipts/message and the classic `sip` package share:
 * the transaction keys, and every header value.
 */
import { len, touch } from '../touch.mjs';

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
