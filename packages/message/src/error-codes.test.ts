/**
 * The error model: `SipErrorCode` is a closed union (a `switch` over it is exhaustive, checked by
 * `tsc` when `typecheck` compiles this file), and a parse error's offset and text are fields.
 */
import { describe, expect, it } from 'vitest';
import { SipError, SipParseError, parseMessage, type SipErrorCode } from './index.js';

/**
 * The layer that raises each code. It compiles only while the switch names every code: a code
 * added to `SipErrorCode` and not here leaves `code` not `never` in the default branch, a type error.
 */
function layerOf(code: SipErrorCode): string {
  switch (code) {
    case 'empty-message':
    case 'missing-header-end':
    case 'invalid-request-line':
    case 'invalid-method':
    case 'invalid-request-uri':
    case 'unsupported-version':
    case 'invalid-status-line':
    case 'invalid-status':
    case 'invalid-header-line':
    case 'invalid-header-name':
    case 'invalid-header-value':
    case 'invalid-via':
    case 'invalid-name-addr':
    case 'invalid-display-name':
    case 'unterminated-quote':
    case 'invalid-cseq':
    case 'cseq-method-mismatch':
    case 'invalid-max-forwards':
    case 'invalid-content-length':
    case 'multiple-content-length':
    case 'content-length-exceeds-body':
    case 'missing-content-length':
    case 'duplicate-header':
    case 'invalid-date':
    case 'invalid-auth':
    case 'invalid-uri':
    case 'too-many-headers':
    case 'header-too-large':
    case 'body-too-large':
      return 'message';
    case 'invalid-argument':
    case 'invalid-state':
    case 'limit-exceeded':
    case 'internal-error':
      return 'any';
    case 'bind-failed':
    case 'connect-failed':
    case 'send-failed':
    case 'resolve-failed':
    case 'flow-failed':
    case 'keep-alive-timeout':
    case 'invalid-stun':
      return 'transport';
    case 'auth-rejected':
    case 'no-digest-challenge':
    case 'qop-negotiation-failed':
    case 'unsupported-algorithm':
      return 'digest';
    case 'call-failed':
    case 'aborted':
    case 'cancelled':
    case 'ack-timeout':
    case 'prack-timeout':
      return 'dialog';
    default: {
      const missing: never = code;
      return missing;
    }
  }
}

/** A switch that forgets codes does not compile: the union is closed, not `string`. */
function forgetful(code: SipErrorCode): string {
  // eslint-disable-next-line @typescript-eslint/switch-exhaustiveness-check -- incomplete on purpose: this switch shows tsc rejects it
  switch (code) {
    case 'send-failed':
      return 'retry';
    default: {
      // @ts-expect-error -- 'send-failed' is the only code handled; the others are not `never`
      const missing: never = code;
      return String(missing);
    }
  }
}

describe('SipErrorCode is closed', () => {
  it('every layer has its codes', () => {
    expect(['invalid-uri', 'internal-error', 'flow-failed', 'auth-rejected', 'call-failed'].map((c) => layerOf(c as SipErrorCode))).toEqual([
      'message',
      'any',
      'transport',
      'digest',
      'dialog',
    ]);
    expect(forgetful('send-failed')).toBe('retry');
  });

  it('a made-up code is not a SipErrorCode', () => {
    // @ts-expect-error -- the union has no room for codes it does not list
    const made: SipErrorCode = 'made-up';
    expect(new SipError(made, 'x').code).toBe('made-up');
  });
});

describe('SipParseError keeps the fault and the offset as fields', () => {
  it('detail is the message without the offset; withOffset moves the fault and keeps the rest', () => {
    const cause = new TypeError('x');
    const e = new SipParseError('unsupported-version', "SIP version '3.0' is not supported", 8, 505, { cause });
    expect([e.detail, e.message]).toEqual(["SIP version '3.0' is not supported", "SIP version '3.0' is not supported (at byte 8)"]);
    const moved = e.withOffset(108);
    expect([moved.code, moved.detail, moved.offset, moved.status, moved.cause, moved.message]).toEqual([
      'unsupported-version',
      "SIP version '3.0' is not supported",
      108,
      505,
      cause,
      "SIP version '3.0' is not supported (at byte 108)",
    ]);
  });

  it('an error found in a folded header says its offset once', () => {
    const head = 'OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n';
    const rest = 'To: <sip:bob@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    let thrown: unknown;
    try {
      parseMessage(head + 'Contact: <sip:a@127.0.0.1>,\r\n <sip:@>\r\n' + rest, { strict: true });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SipParseError);
    const e = thrown as SipParseError;
    // Parsed in place, a folded value's fault has its own offset: here the `@` of an empty user.
    expect(e.offset).toBe(head.length + 'Contact: <sip:a@127.0.0.1>,\r\n <sip:'.length);
    expect(e.message.match(/at byte/g)).toHaveLength(1);
    expect(e.message).toBe(`${e.detail} (at byte ${String(e.offset)})`);
  });
});
