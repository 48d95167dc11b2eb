/**
 * The classic (undocumented) `parseAOR`: one name-addr or addr-spec read from a cursor.
 * @see RFC 3261 §20.10
 */
import { parseNameAddr, type NameAddr } from '@sipts/message';

/** The classic parser cursor: the text and the index to read from. */
export interface Cursor {
  s: string;
  i: number;
}

/** Index of the `,` that ends the value starting at `i` (outside quotes and `<…>`), or the end. */
function valueEnd(s: string, i: number): number {
  let quoted = false;
  let angle = false;
  for (; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === ',' && !angle) return i;
  }
  return s.length;
}

/**
 * Reads one address (`"Bob" <sip:bob@example.com>;tag=1`) at `cursor.i` and moves the cursor past
 * it (to the `,` before the next one, if any). A plain string is read whole. The display name
 * keeps its quotes and the URI stays a string, as in the classic model.
 * @throws SipParseError when the text is not an address
 * @example parseAOR({ s: '<sip:a@x>;lr, <sip:b@y>', i: 0 }) // { name: undefined, uri: 'sip:a@x', params: { lr: null } }
 */
export function parseAOR(cursor: Cursor | string): NameAddr {
  if (typeof cursor === 'string') return parseNameAddr(cursor.trim());
  const end = valueEnd(cursor.s, cursor.i);
  const value = parseNameAddr(cursor.s.slice(cursor.i, end).trim());
  cursor.i = end;
  return value;
}
