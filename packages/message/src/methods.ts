/**
 * Method names (RFC 3261 §7.1, §27.4) read from a message without allocating a string for the
 * standard ones.
 */

/** Methods written as constants, so parsing them allocates nothing. */
const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'UPDATE', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH'];

/** `text[start, end)` as a string, reusing a constant for the standard methods. */
export function methodAt(text: string, start: number, end: number): string {
  const len = end - start;
  for (const m of METHODS) if (m.length === len && text.startsWith(m, start)) return m;
  return text.slice(start, end);
}
