/**
 * The call panel's sentences (src/client/call-errors.ts): why a call did not connect, by status,
 * and why a connected call ended, by the session's end reason.
 */
import { describe, expect, it } from 'vitest';
import { callFailureText, endText } from '../src/client/call-errors.js';

describe('callFailureText', () => {
  it.each([
    [486, 'bob@localhost is busy.'],
    [600, 'bob@localhost is busy.'],
    [603, 'bob@localhost declined the call.'],
    [480, 'bob@localhost is not signed in right now.'],
    [404, 'There is no user bob@localhost on this server.'],
    [408, 'bob@localhost did not answer.'],
    [488, 'bob@localhost cannot take this kind of call (no common audio).'],
    [407, 'The server does not allow this call.'],
    [403, 'The server does not allow this call.'],
    [503, 'The server could not connect the call (503).'],
    [415, 'The call failed (415).'],
  ])('%i → %s', (status, text) => {
    expect(callFailureText(status, 'bob@localhost')).toBe(text);
  });

  it('says nothing for 487: the caller cancelled it', () => {
    expect(callFailureText(487, 'bob@localhost')).toBeUndefined();
  });
});

describe('endText', () => {
  it.each([
    ['bye-received', 'alice@localhost hung up.'],
    ['bye-sent', 'Call ended.'],
    ['session-expired', 'The call was lost.'],
    ['ack-timeout', 'The call was lost.'],
    ['failed', 'The call was lost.'],
    ['stopped', 'Lost the connection to the server.'],
  ] as const)('%s → %s', (reason, text) => {
    expect(endText({ reason }, 'alice@localhost')).toBe(text);
  });
});
