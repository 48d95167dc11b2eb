import { SipError } from '@sipts/message';
import { describe, expect, it } from 'vitest';
import { asError } from './as-error.js';
describe('asError', () => {
  it('keeps an Error and wraps anything else in a SipError with the value as cause', () => {
    const err = new RangeError('r');
    expect(asError(err)).toBe(err);
    const wrapped = asError('EPIPE', 'send-failed');
    expect(wrapped).toBeInstanceOf(SipError);
    expect(wrapped).toMatchObject({ code: 'send-failed', message: 'EPIPE', cause: 'EPIPE' });
    expect(asError(42)).toMatchObject({ code: 'internal-error', message: '42', cause: 42 });
  });
});
