/**
 * @sipts/message: the SIP message model, parser and serializer (RFC 3261 §7, §19, §20, §25).
 * Runs unchanged in browsers and Node.
 * @packageDocumentation
 */
export type {
  AuthHeader,
  AuthInfo,
  CSeq,
  Content,
  HeaderValue,
  Headers,
  KnownHeaders,
  NameAddr,
  OpaqueUri,
  Params,
  Parsed,
  RouteEntry,
  SipMessage,
  SipRequest,
  SipResponse,
  SipUri,
  TelUri,
  Uri,
  Via,
} from './types.js';
export { isRequest, isResponse } from './types.js';
export {
  SipError,
  SipParseError,
  isSipParseError,
  type CommonErrorCode,
  type DialogErrorCode,
  type DigestErrorCode,
  type SipErrorCode,
  type SipParseErrorCode,
  type TransportErrorCode,
} from './errors.js';
export { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
export { headerFaults, parsedHeader, type HeaderFault } from './lazy-headers.js';
export { parse, parseMessage, safeParseMessage, type ParseOptions, type ParseResult } from './parse-message.js';
export { serializeMessage, stringifyMessage } from './serialize.js';
export { isSipUri, parseUri, parseUriOrThrow, stringifyUri, unescapeUriPart } from './uri.js';
export { uriEquals } from './uri-equals.js';
export { parseVia, stringifyVia } from './via.js';
export { parseNameAddr, parseNameAddrList, stringifyNameAddr } from './name-addr.js';
export { parseAuthHeader, parseAuthInfo, stringifyAuthHeader } from './auth.js';
export { MAX_CSEQ, isSipDate, parseCSeq } from './header-values.js';
export { COMPACT_FORMS, canonicalHeaderName, expandCompactForm, headerKey } from './header-names.js';
export { makeResponse, type ResponseExtension } from './make-response.js';
export { copyMessage } from './copy-message.js';
export { shareMessage } from './share-message.js';
export { reasonPhrase } from './reason-phrases.js';
export { createStreamFramer, type StreamFramer } from './stream-framer.js';
export { makeStreamParser } from './classic-stream-parser.js';
export { decodeLatin1 } from './text.js';
