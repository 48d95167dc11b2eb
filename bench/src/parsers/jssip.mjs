/**
 * JsSIP: `Parser.parseMessage(string, ua)` (lib/Parser.js). The UA is only stored on incoming
 * requests (used later by reply()), so a plain object stands in for it. Via (top), From, To,
 * Call-ID, CSeq, Contact, Content-Length, Content-Type and a few more are parsed eagerly with the
 * PEG grammar; the others stay raw until `message.parseHeader(name, idx)`.
 */
import { createRequire } from 'node:module';
import { len, touch } from '../touch.mjs';

const require = createRequire(import.meta.url);
const Parser = require('jssip/lib/Parser.js');
const Grammar = require('jssip/lib/Grammar.js');

export const label = 'JsSIP';
export const version = require('jssip/package.json').version;

const fakeUa = {};

export function parse(bytes) {
  const m = Parser.parseMessage(bytes.toString('utf8'), fakeUa);
  if (m === undefined) throw new Error('JsSIP Parser.parseMessage returned undefined');
  return m;
}

export function keys(m) {
  const cseq = m.parseHeader('cseq');
  return {
    branch: m.via_branch,
    host: m.via.host,
    port: m.via.port,
    fromTag: m.from_tag,
    toTag: m.to_tag,
    callId: m.call_id,
    seq: m.cseq,
    method: cseq.method,
  };
}

export function readKeys(m) {
  const via = m.via;
  return (
    len(m.via_branch) + len(via.host) + (via.port ?? 0) + len(m.from_tag) + len(m.to_tag) + len(m.call_id) +
    m.cseq + len(m.parseHeader('cseq').method)
  );
}

/** Header names (as JsSIP stores them) that have a grammar rule; found once, outside the timed loop. */
const hasRule = new Map();
function ruleFor(name) {
  let ok = hasRule.get(name);
  if (ok === undefined) {
    try {
      Grammar.parse('', name.replace(/-/g, '_'));
      ok = true;
    } catch (e) {
      if (!/Invalid rule name/.test(String(e))) throw e;
      ok = false;
    }
    hasRule.set(name, ok);
  }
  return ok;
}

/** Every header: parseHeader(name, idx) where JsSIP has a rule for it, the raw string otherwise. */
export function readAll(m) {
  let n = 0;
  const headers = m.headers;
  for (const name in headers) {
    n += name.length;
    const list = headers[name];
    const parsed = ruleFor(name);
    for (let i = 0; i < list.length; i++) n += parsed ? touch(m.parseHeader(name, i)) : len(list[i].raw);
  }
  return n;
}

/** No serializer: IncomingMessage#toString returns the received text unchanged. */
export const serializers = {};
