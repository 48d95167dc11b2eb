/** @sipts/message (the built package, dist/index.js). */
import { createRequire } from 'node:module';
import { parseMessage, serializeMessage, stringifyMessage } from '@sipts/message';

const require = createRequire(import.meta.url);

export const label = '@sipts/message';
export const version = require('@sipts/message/package.json').version;

/** Strict parse straight from the bytes a socket delivers; throws SipParseError. */
export function parse(bytes) {
  return parseMessage(bytes);
}

export { keys, readAll, readKeys } from './classic-model.mjs';

/** Modes (c) and (d). */
export const serializers = { stringify: stringifyMessage, serializeMessage };
