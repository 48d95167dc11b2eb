/**
 * What sipts does with every message of the RFC 4475 / RFC 5118 torture corpus
 * (fixtures/torture/manifest.json), and which layer is responsible.
 *
 * - `reject`: `parseMessage` throws a SipParseError with this code (a server answers `status`).
 * - `parse`: `parseMessage` returns the message; `layer` and `response` say who deals with the
 *   semantic fault and what it answers (the transaction and application layers test that).
 */
export type TortureOutcome =
  | { outcome: 'reject'; code: string; status: number; note?: string }
  | { outcome: 'parse'; layer?: 'transaction' | 'transport' | 'proxy' | 'registrar' | 'uas' | 'application'; response?: string };

export const TORTURE: Record<string, TortureOutcome> = {
  // RFC 4475 §3.1.1: valid
  wsinv: { outcome: 'parse' },
  intmeth: { outcome: 'parse' },
  esc01: { outcome: 'parse' },
  escnull: { outcome: 'parse' },
  esc02: { outcome: 'parse' },
  lwsdisp: { outcome: 'parse' },
  longreq: { outcome: 'parse' },
  dblreq: { outcome: 'parse' },
  semiuri: { outcome: 'parse' },
  transports: { outcome: 'parse' },
  mpart01: { outcome: 'parse' },
  unreason: { outcome: 'parse' },
  noreason: { outcome: 'parse' },
  // RFC 4475 §3.1.2: invalid
  badinv01: { outcome: 'reject', code: 'invalid-via', status: 400 },
  clerr: { outcome: 'reject', code: 'content-length-exceeds-body', status: 400 },
  ncl: { outcome: 'reject', code: 'invalid-content-length', status: 400 },
  scalar02: { outcome: 'reject', code: 'invalid-cseq', status: 400 },
  scalarlg: { outcome: 'reject', code: 'invalid-cseq', status: 400, note: 'a response: the transport drops and counts it' },
  quotbal: { outcome: 'reject', code: 'unterminated-quote', status: 400 },
  ltgtruri: { outcome: 'reject', code: 'invalid-request-uri', status: 400 },
  lwsruri: { outcome: 'reject', code: 'invalid-request-line', status: 400 },
  lwsstart: { outcome: 'reject', code: 'invalid-request-line', status: 400, note: 'rejected, not accepted liberally' },
  trws: { outcome: 'reject', code: 'invalid-request-line', status: 400, note: 'rejected, not accepted liberally' },
  escruri: { outcome: 'reject', code: 'invalid-request-uri', status: 400 },
  baddate: { outcome: 'reject', code: 'invalid-date', status: 400 },
  regbadct: { outcome: 'reject', code: 'invalid-name-addr', status: 400 },
  badaspec: { outcome: 'reject', code: 'invalid-name-addr', status: 400 },
  baddn: {
    outcome: 'reject',
    code: 'invalid-display-name',
    status: 400,
    note: 'the archive copy also lacks the empty line; the From display name is reached first',
  },
  badvers: { outcome: 'reject', code: 'unsupported-version', status: 505 },
  mismatch01: { outcome: 'reject', code: 'cseq-method-mismatch', status: 400 },
  mismatch02: { outcome: 'reject', code: 'cseq-method-mismatch', status: 400 },
  bigcode: { outcome: 'reject', code: 'invalid-status', status: 400, note: 'a response: dropped and counted' },
  // RFC 4475 §3.2: transaction layer
  badbranch: { outcome: 'parse', layer: 'transaction', response: 'matched by its branch as is (no 400)' },
  // RFC 4475 §3.3: application layer
  insuf: { outcome: 'parse', layer: 'transaction', response: '400 (missing Call-ID, From, To)' },
  unkscm: { outcome: 'parse', layer: 'uas', response: '416 Unsupported URI Scheme' },
  novelsc: { outcome: 'parse', layer: 'uas', response: '416 Unsupported URI Scheme' },
  unksm2: { outcome: 'parse', layer: 'registrar', response: '400 (To AOR is not SIP/SIPS)' },
  bext01: { outcome: 'parse', layer: 'uas', response: '420 Bad Extension (proxies: 420 for Proxy-Require)' },
  invut: { outcome: 'parse', layer: 'uas', response: '415 Unsupported Media Type' },
  regaut01: { outcome: 'parse', layer: 'registrar', response: '401 challenge (unknown scheme ignored)' },
  multi01: {
    outcome: 'reject',
    code: 'duplicate-header',
    status: 400,
    note: 'manifest also_acceptable: duplicates of single-valued headers are rejected at parse time, never silently collapsed',
  },
  mcl01: { outcome: 'reject', code: 'multiple-content-length', status: 400 },
  bcast: { outcome: 'parse', layer: 'transport', response: 'never routes a response to a broadcast sent-by' },
  zeromf: { outcome: 'parse', layer: 'proxy', response: '483 Too Many Hops (endpoints answer normally)' },
  cparam01: { outcome: 'parse', layer: 'registrar', response: '200; unknownparam is a contact param' },
  cparam02: { outcome: 'parse', layer: 'registrar', response: '200; unknownparam is a URI param' },
  regescrt: { outcome: 'parse', layer: 'registrar', response: '200; the escaped Route stays in the contact URI' },
  sdp01: { outcome: 'parse', layer: 'uas', response: '406 Not Acceptable' },
  // RFC 4475 §3.4
  inv2543: { outcome: 'parse', layer: 'transaction', response: 'RFC 2543 matching (no branch)' },
  // RFC 5118
  'ipv6-good': { outcome: 'parse' },
  'ipv6-bad': { outcome: 'reject', code: 'invalid-request-uri', status: 400 },
  'port-ambiguous': { outcome: 'parse', layer: 'application', response: 'routes to [2001:db8::10:5070], default port' },
  'port-unambiguous': { outcome: 'parse' },
  'via-received-param-with-delim': { outcome: 'parse' },
  'via-received-param-no-delim': { outcome: 'parse' },
  'ipv6-in-sdp': { outcome: 'parse' },
  'mult-ip-in-header': { outcome: 'parse' },
  'mult-ip-in-sdp': { outcome: 'parse' },
  'ipv4-mapped-ipv6': { outcome: 'parse' },
  'ipv6-bug-abnf-3-colons': { outcome: 'parse' },
  'ipv6-correct-abnf-2-colons': { outcome: 'parse' },
};

/**
 * The default (liberal) parse of the corpus. Every `reject` above is rejected by
 * `parseMessage(bytes, { strict: true })`; in the default mode the cases listed here are delivered
 * instead, with the fault of the header the stack does not need reported by `headerFaults`
 * (RFC 4475 §3.1.2.12). Every other `reject` is rejected in both modes, with the same code and offset.
 */
export const LIBERAL_DELIVERS: Record<string, { header: string; code: string }> = {
  baddate: { header: 'date', code: 'invalid-date' },
  regbadct: { header: 'contact', code: 'invalid-name-addr' },
};
