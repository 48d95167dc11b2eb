/**
 * fast-check generators for messages in the object model, shaped like what the parser returns.
 */
import fc from 'fast-check';
import type { NameAddr, Params, SipRequest, SipResponse, Via } from '../src/index.js';

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~'.split(''));
export const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const lowerToken = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split('')), minLength: 1, maxLength: 10 });

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const hostname = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ipv6 = fc.ipV6().map((a) => `[${a}]`);
export const host = fc.oneof(hostname, ipv4, ipv6);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });

/** Header parameters: lower-case names, token values or null. */
export const params: fc.Arbitrary<Params> = fc.dictionary(lowerToken, fc.option(token, { nil: null }), { maxKeys: 4 });

export const sipUri = fc
  .record({ scheme: fc.constantFrom('sip', 'sips'), user: fc.option(lowerToken, { nil: undefined }), host, port })
  .map(({ scheme, user, host: h, port: p }) => `${scheme}:${user === undefined ? '' : user + '@'}${h}${p === undefined ? '' : ':' + String(p)}`);

export const via: fc.Arbitrary<Via> = fc.record({
  version: fc.constant('2.0'),
  protocol: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'),
  host,
  port,
  params,
});

const quotedName = fc
  .string({ unit: fc.constantFrom(...'abc XYZ,;:<>@é"\\'.split('')), maxLength: 12 })
  .map((s) => `"${s.replace(/["\\]/g, (c) => '\\' + c)}"`);
const tokenName = fc.array(token, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));

export const nameAddr: fc.Arbitrary<NameAddr> = fc.record({
  name: fc.option(fc.oneof(quotedName, tokenName), { nil: undefined }),
  uri: sipUri,
  params,
});

/** Values of extension headers: visible text (UTF-8 included), no CR/LF, no edge whitespace. */
const headerText = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .map((s) => s.replace(/[\r\n\t\u0000-\u001f\u007f]/g, 'x').trim())
  .filter((s) => s.length > 0);

const extensionHeaders = fc.dictionary(
  lowerToken.map((n) => `x-${n}`),
  headerText,
  { maxKeys: 5 },
);

/** A body: text, or bytes that are not valid UTF-8 (so they stay bytes when parsed). */
export const content = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0xff, ...b])),
);

const method = fc.oneof(fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'MESSAGE'), token);

export const request: fc.Arbitrary<SipRequest> = fc
  .record({
    method,
    uri: sipUri,
    via: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr,
    to: nameAddr,
    callId: token,
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    contact: fc.option(fc.array(nameAddr, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    maxForwards: fc.integer({ min: 0, max: 255 }).map(String),
    extra: extensionHeaders,
    content,
  })
  .map((r) => ({
    method: r.method,
    uri: r.uri,
    version: '2.0',
    headers: {
      via: r.via,
      from: r.from,
      to: r.to,
      'call-id': r.callId,
      cseq: { seq: r.seq, method: r.method },
      ...(r.contact === undefined ? {} : { contact: r.contact }),
      'max-forwards': r.maxForwards,
      ...r.extra,
    },
    content: r.content,
  }));

export const response: fc.Arbitrary<SipResponse> = fc
  .record({
    status: fc.integer({ min: 100, max: 699 }),
    reason: headerText,
    via: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr,
    to: nameAddr,
    callId: token,
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    method,
    extra: extensionHeaders,
    content,
  })
  .map((r) => ({
    status: r.status,
    reason: r.reason,
    version: '2.0',
    headers: { via: r.via, from: r.from, to: r.to, 'call-id': r.callId, cseq: { seq: r.seq, method: r.method }, ...r.extra },
    content: r.content,
  }));
