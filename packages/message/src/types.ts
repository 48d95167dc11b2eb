/**
 * The SIP message object model: the classic `sip` package's plain objects, typed.
 *
 * Header keys are lower-case full names (compact forms expanded). Headers the stack
 * routes on are structured; every other header is a string (repeated headers joined by `,`).
 *
 * @see RFC 3261 §7 (messages), §20 (header fields), §25 (ABNF)
 */

/** Header parameters: `;name=value` pairs; a valueless parameter (`;lr`) maps to `null`. */
export type Params = Record<string, string | number | null | undefined>;

/** A parsed `sip:` or `sips:` URI (RFC 3261 §19.1). IPv6 hosts keep their brackets: `[2001:db8::1]`. */
export interface SipUri {
  schema: 'sip' | 'sips';
  /** The user part exactly as written (escapes are kept; see {@link unescapeUriPart}). */
  user?: string | undefined;
  password?: string | undefined;
  host: string;
  /** The port, or `undefined` when the URI has none (never `NaN`). */
  port?: number | undefined;
  params: Params;
  /** URI headers (`?name=value&…`), values kept escaped as written. */
  headers: Record<string, string>;
}

/** A `tel:` URI (RFC 3966): the subscriber number and its parameters. */
export interface TelUri {
  schema: 'tel';
  number: string;
  params: Params;
}

/** Any other absolute URI (RFC 3261 §25.1 `absoluteURI`), kept opaque. */
export interface OpaqueUri {
  schema: string;
  /** Everything after `scheme:`. */
  opaque: string;
}

/** Any URI that {@link parseUri} understands. */
export type Uri = SipUri | TelUri | OpaqueUri;

/** One Via header value (RFC 3261 §20.42). */
export interface Via {
  version: string;
  /** The transport token as written, e.g. `UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP`. */
  protocol: string;
  /** The sent-by host; IPv6 references keep their brackets. */
  host: string;
  /** The sent-by port, or `undefined` when absent. */
  port: number | undefined;
  params: Params;
}

/**
 * A name-addr or addr-spec value: From, To, Contact, Refer-To (RFC 3261 §20.10, §20.20, §20.39).
 *
 * `name` is the display name as written: a quoted string keeps its quotes (`"Bob"`), a token
 * display name does not. `uri` is a string here; Route, Record-Route and Path hold a parsed
 * URI object instead (see {@link RouteEntry}), as the classic library does.
 */
export interface NameAddr {
  name?: string | undefined;
  uri: string;
  params: Params;
}

/** A Route, Record-Route or Path value, whose URI is parsed (classic model). */
export interface RouteEntry {
  name?: string | undefined;
  uri: Uri | string;
  params: Params;
}

/** CSeq (RFC 3261 §20.16). */
export interface CSeq {
  seq: number;
  method: string;
}

/**
 * An authentication header value: the scheme plus its parameters (RFC 3261 §20.7, §20.27,
 * §20.28, §20.44). Parameter names are lower-cased; values are kept as written, quotes included,
 * as the classic library does.
 */
export interface AuthHeader {
  scheme: string;
  [param: string]: string | undefined;
}

/** Authentication-Info / Proxy-Authentication-Info parameters (RFC 3261 §20.6, RFC 7615). */
export type AuthInfo = Record<string, string | undefined>;

/** Values a header may hold in the object model. */
export type HeaderValue =
  | string
  | number
  | string[]
  | Via[]
  | NameAddr
  | NameAddr[]
  | RouteEntry[]
  | CSeq
  | AuthHeader[]
  | AuthInfo;

/** The headers the stack parses into structured values, with their types. */
export interface KnownHeaders {
  via?: Via[];
  from?: NameAddr;
  to?: NameAddr;
  'call-id'?: string;
  cseq?: CSeq;
  contact?: NameAddr[];
  route?: RouteEntry[];
  'record-route'?: RouteEntry[];
  path?: RouteEntry[];
  'content-length'?: number;
  'content-type'?: string;
  'max-forwards'?: string;
  'www-authenticate'?: AuthHeader[];
  'proxy-authenticate'?: AuthHeader[];
  authorization?: AuthHeader[];
  'proxy-authorization'?: AuthHeader[];
  'authentication-info'?: AuthInfo;
  'proxy-authentication-info'?: AuthInfo;
  'refer-to'?: NameAddr;
}

/** All headers of a message: the known ones typed, any other name as an open map. */
export type Headers = KnownHeaders & { [name: string]: HeaderValue | undefined };

/** A message body: text (valid UTF-8 on the wire) or raw bytes (anything else). */
export type Content = string | Uint8Array;

interface MessageBase {
  /** The SIP version without the `SIP/` prefix: `2.0`. */
  version?: string;
  headers: Headers;
  /** The body. Parsed bodies that are valid UTF-8 are strings, others stay bytes. */
  content?: Content;
}

/** A SIP request (RFC 3261 §7.1). */
export interface SipRequest extends MessageBase {
  method: string;
  /** The Request-URI as written, or a URI object (serialized with {@link stringifyUri}). */
  uri: string | Uri;
  status?: never;
  reason?: never;
}

/** A SIP response (RFC 3261 §7.2). */
export interface SipResponse extends MessageBase {
  status: number;
  reason?: string;
  method?: never;
  uri?: never;
}

/** A SIP message: a request or a response, told apart by `method` / `status`. */
export type SipMessage = SipRequest | SipResponse;

/** A parsed message always has its version, headers and content set. */
export type Parsed<M extends SipMessage> = M & { version: string; content: Content };

/** True when `m` is a request. */
export function isRequest(m: SipMessage): m is SipRequest {
  return typeof (m as SipRequest).method === 'string';
}

/** True when `m` is a response. */
export function isResponse(m: SipMessage): m is SipResponse {
  return typeof (m as SipResponse).status === 'number';
}
