/**
 * @sipts/sip/sdp: the small SDP parser and serializer the classic package shipped (`sip/sdp`),
 * with its object model: `o` and `c` as objects, `m` as an array of media sections whose `fmt`
 * lists numbers, `a` as arrays of strings, every other field a string. Neutral code.
 * @see RFC 4566 §5 (SDP fields and their order)
 * @packageDocumentation
 */

/** `o=` (RFC 4566 §5.2). */
export interface SdpOrigin {
  username: string;
  id: string;
  version: string;
  nettype: string;
  addrtype: string;
  address: string;
}

/** `c=` (RFC 4566 §5.7). */
export interface SdpConnection {
  nettype: string;
  addrtype: string;
  address: string;
}

/** One `m=` section (RFC 4566 §5.14) and the fields that follow it. */
export interface SdpMedia {
  media: string;
  port: number;
  /** The number of ports (`m=audio 49170/2 …`), 1 when absent. */
  portnum?: number;
  proto: string;
  /** Formats: RTP payload types as numbers; other formats (e.g. `webrtc-datachannel`) as strings. */
  fmt: (number | string)[];
  c?: SdpConnection;
  a?: string[];
  [field: string]: unknown;
}

/** A session description. A field that appears more than once (`b=`, `t=`) becomes an array. */
export interface Sdp {
  v?: string;
  o?: SdpOrigin;
  s?: string;
  c?: SdpConnection;
  t?: string | string[];
  a?: string[];
  m: SdpMedia[];
  [field: string]: unknown;
}

const LINE = /^([a-z])=(.*)$/;
const MEDIA = /^(\S+) +(\d+)(?:\/(\d+))? +(\S+)(?: +(.*))?$/;

function parseOrigin(v: string): SdpOrigin {
  const [username = '', id = '', version = '', nettype = '', addrtype = '', address = ''] = v.split(/\s+/);
  return { username, id, version, nettype, addrtype, address };
}

function parseConnection(v: string): SdpConnection {
  const [nettype = '', addrtype = '', address = ''] = v.split(/\s+/);
  return { nettype, addrtype, address };
}

function parseMedia(v: string): SdpMedia | undefined {
  const t = MEDIA.exec(v);
  if (t === null) return undefined;
  const fmt = (t[5] ?? '')
    .split(/\s+/)
    .filter((x) => x !== '')
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  return { media: t[1] as string, port: Number(t[2]), portnum: t[3] === undefined ? 1 : Number(t[3]), proto: t[4] as string, fmt };
}

function put(o: Record<string, unknown>, key: string, value: unknown): void {
  const old = o[key];
  if (old === undefined) o[key] = value;
  else if (Array.isArray(old)) old.push(value);
  else o[key] = [old, value];
}

/**
 * Parses SDP text (CRLF or LF line ends). Lines that are not `x=value` are skipped; an `m=` line
 * that cannot be read is skipped with the fields after it (it never throws).
 * @example parse('v=0\r\nm=audio 4000 RTP/AVP 0\r\n').m[0].fmt // [0]
 * @see RFC 4566 §5
 */
export function parse(text: string): Sdp {
  const root: Sdp = { m: [] };
  let media: SdpMedia | undefined;
  let skipping = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = LINE.exec(raw.replace(/\r$/, ''));
    if (line === null) continue;
    const key = line[1] as string;
    const value = line[2] as string;
    if (key === 'm') {
      media = parseMedia(value);
      skipping = media === undefined;
      if (media !== undefined) root.m.push(media);
      continue;
    }
    if (skipping) continue;
    const target: Record<string, unknown> = media ?? root;
    if (key === 'a') {
      const list = (target.a as string[] | undefined) ?? [];
      list.push(value);
      target.a = list;
    } else {
      put(target, key, key === 'o' ? parseOrigin(value) : key === 'c' ? parseConnection(value) : value);
    }
  }
  return root;
}

function field(key: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => field(key, v)).join('');
  let text: string;
  if (key === 'o' && typeof value === 'object') {
    const o = value as Partial<SdpOrigin>;
    text = [o.username ?? '-', o.id, o.version, o.nettype ?? 'IN', o.addrtype ?? 'IP4', o.address].join(' ');
  } else if (key === 'c' && typeof value === 'object') {
    const c = value as Partial<SdpConnection>;
    text = [c.nettype ?? 'IN', c.addrtype ?? 'IP4', c.address].join(' ');
  } else {
    text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
  return `${key}=${text}\r\n`;
}

function mediaLine(m: Partial<SdpMedia>): string {
  const port = m.portnum !== undefined && m.portnum > 1 ? `${String(m.port)}/${String(m.portnum)}` : String(m.port);
  const parts = [m.media ?? 'audio', port, m.proto ?? 'RTP/AVP', ...(m.fmt ?? []).map(String)];
  return `m=${parts.join(' ')}\r\n`;
}

/**
 * Writes a session description in the RFC 4566 field order, defaulting `v=0`, `s=-` and `t=0 0`.
 * @example stringify({ o, c, m: [{ media: 'audio', port: 4000, proto: 'RTP/AVP', fmt: [0] }] })
 * @see RFC 4566 §5
 */
export function stringify(sdp: Sdp): string {
  let s = field('v', sdp.v ?? '0');
  for (const k of ['o', 's', 'i', 'u', 'e', 'p', 'c', 'b', 't', 'r', 'z', 'k', 'a']) {
    const v = k === 's' ? (sdp.s ?? '-') : k === 't' ? (sdp.t ?? '0 0') : sdp[k];
    s += field(k, v);
  }
  for (const m of sdp.m) {
    s += mediaLine(m);
    for (const k of ['i', 'c', 'b', 'k', 'a']) s += field(k, m[k]);
  }
  return s;
}
