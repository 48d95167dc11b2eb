/**
 * Quoted strings in auth parameters (RFC 3261 §25.1 `quoted-string`) and RFC 8187 extended values
 * (`username*=UTF-8''J%C3%A4s%C3%B8n`), as RFC 7616 §3.4.4 uses them.
 * @see RFC 3261 §25.1, RFC 7616 §3.4.4, RFC 8187 §3.2
 */

/** The value without its surrounding quotes and with `\x` escapes resolved; bare values as they are. */
export function unquote(value: string): string;
export function unquote(value: string | undefined): string | undefined;
export function unquote(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  const inner = value.slice(1, -1);
  return inner.includes('\\') ? inner.replace(/\\(.)/gs, '$1') : inner;
}

/** `"value"`, with `"` and `\` escaped. */
export function quote(value: string): string {
  return '"' + value.replace(/["\\]/g, '\\$&') + '"';
}

/** True when `s` can go into a quoted-string as it is (printable ASCII, no CR/LF). */
export function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

const encoder = new TextEncoder();
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/**
 * Encodes `s` as an RFC 8187 ext-value in UTF-8.
 * @example encodeExtValue('Jäsøn Doe') // "UTF-8''J%C3%A4s%C3%B8n%20Doe"
 * @see RFC 8187 §3.2.1
 */
export function encodeExtValue(s: string): string {
  let out = "UTF-8''";
  for (const b of encoder.encode(s)) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && ATTR_CHAR.test(ch) ? ch : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Decodes an RFC 8187 ext-value with the UTF-8 charset, or undefined when it is not one (another
 * charset, a bad escape, bytes that are not UTF-8).
 * @see RFC 8187 §3.2.1
 */
export function decodeExtValue(v: string): string | undefined {
  const m = /^utf-8'[A-Za-z0-9-]*'(.*)$/i.exec(v);
  const body = m?.[1];
  if (body === undefined) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x25) {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c < 0x80 && ATTR_CHAR.test(body.charAt(i))) {
      bytes.push(c);
    } else {
      return undefined;
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}
