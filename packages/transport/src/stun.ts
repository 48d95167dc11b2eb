/**
 * The part of STUN (RFC 5389) that SIP outbound keep-alives need (RFC 5626 §4.4.2, §8): Binding
 * requests and responses with XOR-MAPPED-ADDRESS, SOFTWARE, and FINGERPRINT, recognised on a
 * socket that also carries SIP. Neutral code: no Node built-ins.
 * @see RFC 5389 §6 (header), §15 (attributes), §15.5 (FINGERPRINT); RFC 5626 §4.4.2, §8
 */
import { SipError } from '@sipts/message';
import { formatIp, parseIp } from './ip-bytes.js';

/** The magic cookie in bytes 4–7 of every RFC 5389 message (§6). */
export const STUN_MAGIC_COOKIE = 0x2112a442;
/** Message types (method Binding with each class, §6 and §18.1). */
export const STUN_BINDING_REQUEST = 0x0001;
export const STUN_BINDING_SUCCESS = 0x0101;
export const STUN_BINDING_ERROR = 0x0111;
/** Attribute types used here (§18.2). */
export const STUN_ATTR = {
  MAPPED_ADDRESS: 0x0001,
  MESSAGE_INTEGRITY: 0x0008,
  XOR_MAPPED_ADDRESS: 0x0020,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
} as const;

const HEADER = 20;
const FINGERPRINT_XOR = 0x5354554e;
/** The largest STUN message we decode; a keep-alive is under 100 bytes. */
const MAX_STUN_BYTES = 2048;

/** One attribute as it is on the wire (value without padding). */
export interface StunAttribute {
  type: number;
  value: Uint8Array;
}

/** A decoded STUN message. */
export interface StunMessage {
  /** The 14-bit message type (method and class), e.g. {@link STUN_BINDING_REQUEST}. */
  type: number;
  /** 12 bytes. */
  transactionId: Uint8Array;
  attributes: StunAttribute[];
  /** True when a FINGERPRINT was present and matched (§15.5); false when absent. */
  fingerprintOk: boolean;
}

/** A transport address (IPv6 without brackets). */
export interface StunAddress {
  address: string;
  port: number;
}

function invalid(message: string): SipError {
  return new SipError('invalid-stun', message);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the one FINGERPRINT uses, §15.5). */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = (crcTable[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * True when `bytes` look like a STUN message (§6, §8 of RFC 5626 and RFC 7983 §7): the two top
 * bits zero, the magic cookie, and a length that is a multiple of 4 and fills the datagram. A SIP
 * message starts with a letter, so it never passes; cheap enough for every datagram.
 * @example if (isStunMessage(datagram)) answerStun(datagram)
 * @see RFC 5389 §6
 */
export function isStunMessage(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER || bytes.length > MAX_STUN_BYTES || ((bytes[0] ?? 0) & 0xc0) !== 0) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(2);
  return view.getUint32(4) === STUN_MAGIC_COOKIE && length % 4 === 0 && HEADER + length === bytes.length;
}

/**
 * Decodes a STUN message, checking FINGERPRINT when present.
 * @throws SipError `invalid-stun`: not STUN, a truncated attribute, or a FINGERPRINT that does not match
 * @example const m = decodeStun(datagram); m.type === STUN_BINDING_REQUEST
 * @see RFC 5389 §6, §15, §15.5
 */
export function decodeStun(bytes: Uint8Array): StunMessage {
  if (!isStunMessage(bytes)) throw invalid('not a STUN message');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const attributes: StunAttribute[] = [];
  let fingerprintOk = false;
  let at = HEADER;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw invalid('truncated attribute header');
    const type = view.getUint16(at);
    const length = view.getUint16(at + 2);
    const end = at + 4 + length;
    if (end > bytes.length) throw invalid(`attribute 0x${type.toString(16)} runs past the message`);
    const value = bytes.subarray(at + 4, end);
    if (type === STUN_ATTR.FINGERPRINT) {
      if (length !== 4 || end !== bytes.length) throw invalid('FINGERPRINT must be the last attribute, 4 bytes');
      // The CRC covers the message up to the attribute, its length field already counting it.
      if ((crc32(bytes.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0 !== view.getUint32(at + 4)) throw invalid('FINGERPRINT does not match');
      fingerprintOk = true;
    }
    attributes.push({ type, value });
    at = end + ((4 - (length % 4)) % 4);
  }
  return { type: view.getUint16(0) & 0x3fff, transactionId: bytes.slice(8, HEADER), attributes, fingerprintOk };
}

/** Options of {@link encodeStun}. */
export interface EncodeStunOptions {
  /**
   * Adds MESSAGE-INTEGRITY (§15.4): given the bytes it covers (with the header length already
   * counting it), returns the 20-byte HMAC-SHA1 under the session's key. Optional: keep-alives
   * need none.
   */
  integrity?: (covered: Uint8Array) => Uint8Array;
  /** Adds FINGERPRINT (§15.5). Default true. */
  fingerprint?: boolean;
  /** The byte attribute values are padded with (any value is allowed, §15). Default 0. */
  padding?: number;
}

/**
 * Encodes a STUN message: the attributes in order, then MESSAGE-INTEGRITY and FINGERPRINT.
 * @throws SipError `invalid-stun` for a transaction id that is not 12 bytes or an attribute over 65,535 bytes
 * @example encodeStun({ type: STUN_BINDING_REQUEST, transactionId: newStunTransactionId(), attributes: [] })
 * @see RFC 5389 §6, §15
 */
export function encodeStun(message: Omit<StunMessage, 'fingerprintOk'>, options: EncodeStunOptions = {}): Uint8Array {
  if (message.transactionId.length !== 12) throw invalid('a STUN transaction id is 12 bytes');
  const padded = (n: number): number => n + ((4 - (n % 4)) % 4);
  let size = HEADER;
  for (const a of message.attributes) {
    if (a.value.length > 0xffff) throw invalid('attribute too long');
    size += 4 + padded(a.value.length);
  }
  const withIntegrity = options.integrity !== undefined ? size + 24 : size;
  const total = options.fingerprint !== false ? withIntegrity + 8 : withIntegrity;
  const out = new Uint8Array(total).fill(options.padding ?? 0);
  const view = new DataView(out.buffer);
  view.setUint16(0, message.type & 0x3fff);
  view.setUint32(4, STUN_MAGIC_COOKIE);
  out.set(message.transactionId, 8);
  let at = HEADER;
  const put = (type: number, value: Uint8Array): void => {
    view.setUint16(at, type);
    view.setUint16(at + 2, value.length);
    out.set(value, at + 4);
    at += 4 + padded(value.length);
  };
  for (const a of message.attributes) put(a.type, a.value);
  if (options.integrity !== undefined) {
    view.setUint16(2, withIntegrity - HEADER); // §15.4: the length counts MESSAGE-INTEGRITY, not what follows
    const mac = options.integrity(out.subarray(0, at));
    if (mac.length !== 20) throw invalid('MESSAGE-INTEGRITY is a 20-byte HMAC-SHA1');
    put(STUN_ATTR.MESSAGE_INTEGRITY, mac);
  }
  view.setUint16(2, total - HEADER);
  if (options.fingerprint !== false) {
    const crc = (crc32(out.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, crc);
    put(STUN_ATTR.FINGERPRINT, value);
  }
  return out;
}

/**
 * Encodes an XOR-MAPPED-ADDRESS value (§15.2): port and address XORed with the magic cookie
 * (and, for IPv6, the transaction id).
 * @throws SipError `invalid-stun` when `address` is not an IP address
 * @see RFC 5389 §15.2
 */
export function encodeXorMappedAddress(mapped: StunAddress, transactionId: Uint8Array): Uint8Array {
  const ip = parseIp(mapped.address);
  if (ip === undefined) throw invalid(`not an IP address: ${mapped.address}`);
  const out = new Uint8Array(4 + ip.length);
  out[1] = ip.length === 4 ? 0x01 : 0x02;
  new DataView(out.buffer).setUint16(2, (mapped.port ^ (STUN_MAGIC_COOKIE >>> 16)) & 0xffff);
  const key = xorKey(transactionId);
  for (let i = 0; i < ip.length; i++) out[4 + i] = (ip[i] ?? 0) ^ (key[i] ?? 0);
  return out;
}

/**
 * Decodes an XOR-MAPPED-ADDRESS value.
 * @throws SipError `invalid-stun` for an unknown family or a wrong length
 * @see RFC 5389 §15.2
 */
export function decodeXorMappedAddress(value: Uint8Array, transactionId: Uint8Array): StunAddress {
  const family = value[1];
  const size = family === 0x01 ? 4 : family === 0x02 ? 16 : 0;
  if (size === 0 || value.length !== 4 + size) throw invalid('XOR-MAPPED-ADDRESS has an unknown family or length');
  const port = (new DataView(value.buffer, value.byteOffset, value.byteLength).getUint16(2) ^ (STUN_MAGIC_COOKIE >>> 16)) & 0xffff;
  const key = xorKey(transactionId);
  const ip = new Uint8Array(size);
  for (let i = 0; i < size; i++) ip[i] = (value[4 + i] ?? 0) ^ (key[i] ?? 0);
  return { address: formatIp(ip), port };
}

function xorKey(transactionId: Uint8Array): Uint8Array {
  const key = new Uint8Array(16);
  new DataView(key.buffer).setUint32(0, STUN_MAGIC_COOKIE);
  key.set(transactionId.subarray(0, 12), 4);
  return key;
}

/** The first attribute of `type`, if any. */
export function stunAttribute(message: StunMessage, type: number): Uint8Array | undefined {
  return message.attributes.find((a) => a.type === type)?.value;
}

/** A fresh 96-bit transaction id from `crypto.getRandomValues` (§6). */
export function newStunTransactionId(): Uint8Array {
  const id = new Uint8Array(12);
  crypto.getRandomValues(id);
  return id;
}

/**
 * A Binding request for a keep-alive (RFC 5626 §4.4.2): no attributes but FINGERPRINT.
 * @example const rq = stunBindingRequest(); await send(rq)
 * @see RFC 5389 §7.1
 */
export function stunBindingRequest(transactionId: Uint8Array = newStunTransactionId()): Uint8Array {
  return encodeStun({ type: STUN_BINDING_REQUEST, transactionId, attributes: [] });
}

/**
 * The Binding success response to `request`, naming where it came from (XOR-MAPPED-ADDRESS,
 * RFC 5389 §7.3.1; RFC 5626 §8: what a SIP server answers on its UDP port), with FINGERPRINT.
 * @example reply(stunBindingSuccess(decodeStun(datagram), { address: remote.address, port: remote.port }))
 * @see RFC 5389 §7.3.1, §15.2
 */
export function stunBindingSuccess(request: StunMessage, mapped: StunAddress, software?: string): Uint8Array {
  const attributes: StunAttribute[] = [{ type: STUN_ATTR.XOR_MAPPED_ADDRESS, value: encodeXorMappedAddress(mapped, request.transactionId) }];
  if (software !== undefined) attributes.unshift({ type: STUN_ATTR.SOFTWARE, value: new TextEncoder().encode(software) });
  return encodeStun({ type: STUN_BINDING_SUCCESS, transactionId: request.transactionId, attributes });
}

/**
 * The mapped address of a Binding success response: XOR-MAPPED-ADDRESS, else the older MAPPED-ADDRESS.
 * @returns undefined when the response has neither
 * @throws SipError `invalid-stun` for a malformed address attribute
 * @see RFC 5389 §15.1, §15.2
 */
export function stunMappedAddress(response: StunMessage): StunAddress | undefined {
  const xored = stunAttribute(response, STUN_ATTR.XOR_MAPPED_ADDRESS);
  if (xored !== undefined) return decodeXorMappedAddress(xored, response.transactionId);
  const plain = stunAttribute(response, STUN_ATTR.MAPPED_ADDRESS);
  if (plain === undefined) return undefined;
  // MAPPED-ADDRESS is XOR-MAPPED-ADDRESS without the XOR: undo it by XORing with the same key.
  return decodeXorMappedAddress(encodeXorMappedAddressRaw(plain, response.transactionId), response.transactionId);
}

function encodeXorMappedAddressRaw(value: Uint8Array, transactionId: Uint8Array): Uint8Array {
  const out = value.slice();
  if (out.length < 4) throw invalid('MAPPED-ADDRESS too short');
  const view = new DataView(out.buffer);
  view.setUint16(2, (view.getUint16(2) ^ (STUN_MAGIC_COOKIE >>> 16)) & 0xffff);
  const key = xorKey(transactionId);
  for (let i = 4; i < out.length; i++) out[i] = (out[i] ?? 0) ^ (key[i - 4] ?? 0);
  return out;
}
