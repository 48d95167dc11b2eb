import { describe, expect, it } from 'vitest';
import * as dialog from '@sipts/sip/dialog';

describe('@sipts/sip/dialog', () => {
  it('re-exports the dialog layer and its Node user agent', () => {
    expect(typeof dialog.createUserAgent).toBe('function');
    expect(typeof dialog.createB2BUA).toBe('function');
    expect(typeof dialog.createNodeUserAgent).toBe('function');
    expect(new dialog.OfferAnswer().state).toBe('stable');
  });
});
