/**
 * Header values as the page shows them: structured headers as field lists or tables, every other
 * header as its text. Pure: builds plain data that `render-detail.ts` turns into DOM.
 * @see RFC 3261 §20 (header fields), §19.1 (URI parts)
 */
import {
  canonicalHeaderName,
  parseUri,
  stringifyUri,
  type AuthHeader,
  type AuthInfo,
  type CSeq,
  type HeaderValue,
  type NameAddr,
  type Params,
  type RouteEntry,
  type SipMessage,
  type Uri,
  type Via,
} from '@sipts/message';

/** A label and its value. */
export interface Field {
  label: string;
  value: string;
}

/** How one header is shown. */
export type HeaderView =
  | { kind: 'text'; name: string; value: string }
  /** One group of fields per header value (From: one; Authorization: one per challenge). */
  | { kind: 'fields'; name: string; groups: Field[][] }
  /** A list header (Via, Contact, Route…): one row per value. */
  | { kind: 'table'; name: string; columns: string[]; rows: string[][] };

/** Shown for a part that is absent. */
export const ABSENT = '—';

/** Parameter value text: a valueless parameter (`;lr`) is shown by its name alone. */
function paramText(name: string, value: Params[string]): string {
  return value === null || value === undefined ? name : `${name}=${String(value)}`;
}

/**
 * Parameters as `name=value; flag`, leaving out the names in `except`.
 * @example paramsText({ transport: 'tcp', lr: null }) // 'transport=tcp; lr'
 */
export function paramsText(params: Params | Record<string, string>, except: readonly string[] = []): string {
  const out: string[] = [];
  for (const [name, value] of Object.entries(params)) if (!except.includes(name)) out.push(paramText(name, value));
  return out.length === 0 ? ABSENT : out.join('; ');
}

/** One parameter's value: absent, present without a value, or its value. */
export function paramValue(params: Params, name: string): string {
  if (!Object.hasOwn(params, name)) return ABSENT;
  const v = params[name];
  return v === null || v === undefined ? '(no value)' : String(v);
}

/**
 * The parts of a URI (RFC 3261 §19.1.1; RFC 3966 for `tel:`): scheme, user, host, port,
 * parameters, headers. A URI that does not parse is shown as it is.
 * @example uriFields('sip:bob@biloxi.example.com:5061;transport=tls')
 */
export function uriFields(uri: string | Uri): Field[] {
  const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
  if (parsed === undefined) return [{ label: 'URI (not parsed)', value: typeof uri === 'string' ? uri : stringifyUri(uri) }];
  if ('opaque' in parsed) return [{ label: 'Scheme', value: parsed.schema }, { label: 'Opaque part', value: parsed.opaque }];
  if (parsed.schema === 'tel') {
    return [
      { label: 'Scheme', value: 'tel' },
      { label: 'Number', value: parsed.number },
      { label: 'URI parameters', value: paramsText(parsed.params) },
    ];
  }
  const fields: Field[] = [
    { label: 'Scheme', value: parsed.schema },
    { label: 'User', value: parsed.user ?? ABSENT },
  ];
  if (parsed.password !== undefined) fields.push({ label: 'Password', value: parsed.password });
  fields.push(
    { label: 'Host', value: parsed.host },
    { label: 'Port', value: parsed.port === undefined ? ABSENT : String(parsed.port) },
    { label: 'URI parameters', value: paramsText(parsed.params) },
    { label: 'URI headers', value: paramsText(parsed.headers) },
  );
  return fields;
}

function nameAddrFields(v: NameAddr): Field[] {
  const fields: Field[] = [
    { label: 'Display name', value: v.name ?? ABSENT },
    { label: 'URI', value: v.uri },
  ];
  if (v.uri === '*') return [...fields, { label: 'Parameters', value: paramsText(v.params) }];
  fields.push({ label: 'Tag', value: paramValue(v.params, 'tag') });
  fields.push(...uriFields(v.uri));
  fields.push({ label: 'Other parameters', value: paramsText(v.params, ['tag']) });
  return fields;
}

const VIA_COLUMNS = ['#', 'Transport', 'Host', 'Port', 'Branch', 'Received', 'Rport', 'Other parameters'];
const VIA_OWN = ['branch', 'received', 'rport'];

function viaRows(vias: Via[]): string[][] {
  return vias.map((v, i) => [
    String(i + 1),
    `SIP/${v.version}/${v.protocol}`,
    v.host,
    v.port === undefined ? ABSENT : String(v.port),
    paramValue(v.params, 'branch'),
    paramValue(v.params, 'received'),
    paramValue(v.params, 'rport'),
    paramsText(v.params, VIA_OWN),
  ]);
}

const CONTACT_COLUMNS = ['#', 'Display name', 'URI', 'User', 'Host', 'Port', 'URI parameters', 'Expires', 'q', 'Other parameters'];

/** The URI columns shared by Contact and Route rows: user, host, port, URI parameters. */
function uriColumns(uri: string | Uri): string[] {
  const parsed = typeof uri === 'string' ? parseUri(uri) : uri;
  if (parsed === undefined || 'opaque' in parsed) return [ABSENT, ABSENT, ABSENT, ABSENT];
  if (parsed.schema === 'tel') return [parsed.number, ABSENT, ABSENT, paramsText(parsed.params)];
  return [parsed.user ?? ABSENT, parsed.host, parsed.port === undefined ? ABSENT : String(parsed.port), paramsText(parsed.params)];
}

function contactRows(contacts: NameAddr[]): string[][] {
  return contacts.map((c, i) => [
    String(i + 1),
    c.name ?? ABSENT,
    c.uri,
    ...(c.uri === '*' ? [ABSENT, ABSENT, ABSENT, ABSENT] : uriColumns(c.uri)),
    paramValue(c.params, 'expires'),
    paramValue(c.params, 'q'),
    paramsText(c.params, ['expires', 'q']),
  ]);
}

const ROUTE_COLUMNS = ['#', 'Display name', 'URI', 'User', 'Host', 'Port', 'URI parameters', 'Parameters'];

function routeRows(routes: RouteEntry[]): string[][] {
  return routes.map((r, i) => [String(i + 1), r.name ?? ABSENT, stringifyUri(r.uri), ...uriColumns(r.uri), paramsText(r.params)]);
}

function authGroup(a: AuthHeader | AuthInfo): Field[] {
  const fields: Field[] = [];
  for (const [name, value] of Object.entries(a)) {
    fields.push({ label: name === 'scheme' ? 'Scheme' : name, value: value ?? '(no value)' });
  }
  return fields;
}

const AUTH = new Set(['www-authenticate', 'proxy-authenticate', 'authorization', 'proxy-authorization']);
const AUTH_INFO = new Set(['authentication-info', 'proxy-authentication-info']);
const NAME_ADDR = new Set(['from', 'to', 'refer-to']);
const ROUTES = new Set(['route', 'record-route', 'path']);

/**
 * The view of one header, from its lower-case key and parsed value.
 * @example headerView('cseq', { seq: 1, method: 'INVITE' }) // fields: Sequence number 1, Method INVITE
 */
export function headerView(key: string, value: HeaderValue): HeaderView {
  const name = canonicalHeaderName(key);
  if (typeof value === 'string' || typeof value === 'number') return { kind: 'text', name, value: String(value) };
  if (key === 'via') return { kind: 'table', name, columns: VIA_COLUMNS, rows: viaRows(value as Via[]) };
  if (key === 'contact') return { kind: 'table', name, columns: CONTACT_COLUMNS, rows: contactRows(value as NameAddr[]) };
  if (ROUTES.has(key)) return { kind: 'table', name, columns: ROUTE_COLUMNS, rows: routeRows(value as RouteEntry[]) };
  if (NAME_ADDR.has(key)) return { kind: 'fields', name, groups: [nameAddrFields(value as NameAddr)] };
  if (key === 'cseq') {
    const c = value as CSeq;
    return { kind: 'fields', name, groups: [[{ label: 'Sequence number', value: String(c.seq) }, { label: 'Method', value: c.method }]] };
  }
  if (AUTH.has(key)) return { kind: 'fields', name, groups: (value as AuthHeader[]).map(authGroup) };
  if (AUTH_INFO.has(key)) return { kind: 'fields', name, groups: [authGroup(value as AuthInfo)] };
  // Any other structure (none today): shown as JSON so that nothing is hidden.
  return { kind: 'text', name, value: JSON.stringify(value) };
}

/** The views of every header of a message, in the order the message has them. */
export function headerViews(m: SipMessage): HeaderView[] {
  const out: HeaderView[] = [];
  for (const [key, value] of Object.entries(m.headers)) if (value !== undefined) out.push(headerView(key, value));
  return out;
}

/** The start line's fields: method and Request-URI parts, or status and reason; and the version. */
export function startLineFields(m: SipMessage): Field[] {
  const version = { label: 'Version', value: `SIP/${m.version ?? '2.0'}` };
  if (m.method !== undefined) {
    return [{ label: 'Method', value: m.method }, { label: 'Request-URI', value: stringifyUri(m.uri) }, ...uriFields(m.uri), version];
  }
  return [{ label: 'Status', value: String(m.status) }, { label: 'Reason', value: m.reason ?? ABSENT }, version];
}
