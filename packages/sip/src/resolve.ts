/**
 * The classic (undocumented) `sip.resolve(uri, callback)`: RFC 3263 resolution with a callback.
 * @see RFC 3263 §4
 */
import { stringifyUri, type Uri } from '@sipts/message';
import { createResolver, type SipResolver } from '@sipts/transport/node';
import type { Target } from './layers.js';

let shared: SipResolver | undefined;

/**
 * Resolves a SIP URI to its ordered targets (`{protocol, address, port}`) and calls back once,
 * with `[]` when it cannot be resolved (as the classic function did). NAPTR, SRV priority and
 * weight, A/AAAA and the hosts file are used; answers are cached by TTL.
 * @example resolve(parseUri('sip:example.com'), (targets) => console.log(targets[0]))
 */
export function resolve(uri: string | Uri, callback: (targets: Target[]) => void): void {
  shared ??= createResolver({ transports: ['UDP', 'TCP', 'TLS', 'WS', 'WSS'] });
  shared.resolve(stringifyUri(uri)).then(
    (targets) => {
      callback(targets);
    },
    () => {
      callback([]);
    },
  );
}
