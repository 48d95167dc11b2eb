/**
 * A bug in the parser is reported as a bug: an exception the parser did not mean to throw (a
 * TypeError, a RangeError) becomes code `internal-error` with status 500 and the exception as
 * `cause`, never a fault of the input (the code that reported it once, `invalid-start-line`, is gone:
 * a bad start line is `invalid-request-line`, `invalid-status-line` or `invalid-method`).
 */
import { describe, expect, it, vi } from 'vitest';
import { SipParseError, parse, safeParseMessage } from './index.js';
import type * as StartLine from './start-line.js';

// The start-line parser fails as a bug would: a TypeError on one marked input, the real parser otherwise.
const BUG_MARK = 'BUGGY';
vi.mock('./start-line.js', async (importOriginal) => {
  const real = await importOriginal<typeof StartLine>();
  return {
    ...real,
    parseStartLine: (...args: Parameters<typeof real.parseStartLine>) => {
      if (args[0].startsWith(BUG_MARK, args[1])) throw new TypeError('cannot read properties of undefined');
      return real.parseStartLine(...args);
    },
  };
});

const message = (method: string): string =>
  `${method} sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n` +
  'To: <sip:bob@127.0.0.1>\r\nFrom: <sip:alice@127.0.0.1>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('a parser bug is not a bad start line', () => {
  it('a TypeError inside the start-line parser is internal-error, 500, with the exception as cause', () => {
    const r = safeParseMessage(message(BUG_MARK));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(SipParseError);
    expect([r.error.code, r.error.status]).toEqual(['internal-error', 500]);
    expect(r.error.cause).toBeInstanceOf(TypeError);
    // The exception's text is for logs, not for a reason phrase that goes back on the wire.
    expect(r.error.message).not.toContain('cannot read properties');
  });

  it('a RangeError from a broken input object is internal-error too', () => {
    const broken = new Uint8Array(8);
    Object.defineProperty(broken, 'length', { get: () => { throw new RangeError('detached'); } });
    const r = safeParseMessage(broken);
    expect(r.ok ? undefined : [r.error.code, r.error.status, r.error.cause instanceof RangeError]).toEqual(['internal-error', 500, true]);
  });

  it('the same parser still reports a real bad start line as one', () => {
    const r = safeParseMessage(message('IN VITE'));
    expect(r.ok ? undefined : r.error.code).toBe('invalid-request-line');
    const garbage = safeParseMessage('hello\r\n\r\n');
    expect(garbage.ok ? undefined : garbage.error.code).not.toBe('internal-error');
    expect(parse(message('OPTIONS'))).toBeDefined();
    expect(parse(message(BUG_MARK))).toBeUndefined();
  });
});
