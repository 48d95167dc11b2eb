/** The classic `sip` package (kirm), 0.0.6: sip.parse / sip.stringify. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sip = require('sip');

export const label = 'sip (classic)';
export const version = require('sip/package.json').version;

/** sip.parse takes the Buffer itself (it calls toString('binary')); undefined on failure. */
export function parse(bytes) {
  const m = sip.parse(bytes);
  if (m === undefined) throw new Error('sip.parse returned undefined');
  return m;
}

// Same object model as ours.
export { keys, readAll, readKeys } from './classic-model.mjs';

/** sip.stringify sets headers['content-length'] on the message it is given (harmless here). */
export const serializers = { stringify: sip.stringify };
