import type { Binding } from '../../src/store/index.js';

/** A fixed, realistic epoch time (Redis TTLs are relative to it, so it must not be 0). */
export const NOW = 1_700_000_000_000;

/** A complete binding of `aor` with every optional field set; `over` replaces fields. */
export function binding(aor: string, key: string, over: Partial<Binding> = {}): Binding {
  return {
    aor,
    key,
    contact: `sip:${key}@192.0.2.1:5060;transport=tcp`,
    q: 1,
    expiresAt: NOW + 3600_000,
    callId: `call-${key}`,
    cseq: 1,
    instanceId: '<urn:uuid:00000000-0000-0000-0000-000000000001>',
    regId: 1,
    path: ['<sip:edge.example.com;lr>'],
    flow: { id: 'conn-1', protocol: 'TCP', address: '192.0.2.1', port: 50000, local: { address: '127.0.0.1', port: 5060 } },
    owner: 'node-a',
    source: 'TCP:192.0.2.1:50000',
    contactParams: { '+sip.instance': '"<urn:uuid:00000000-0000-0000-0000-000000000001>"', 'reg-id': '1', ob: null },
    ...over,
  };
}

/** A binding with none of the optional fields. */
export function bareBinding(aor: string, key: string, over: Partial<Binding> = {}): Binding {
  return {
    aor,
    key,
    contact: key,
    q: 1,
    expiresAt: NOW + 60_000,
    callId: 'c',
    cseq: 7,
    path: [],
    owner: 'node-a',
    source: 'UDP:192.0.2.9:5060',
    ...over,
  };
}
