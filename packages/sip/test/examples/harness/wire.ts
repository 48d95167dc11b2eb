/**
 * A small reader for SIP messages as sipp writes them to its -trace_msg file, kept independent of
 * the parser under test: start line, header lines by lower-case name (compact forms expanded), body.
 */

/** One message seen on the wire. */
export interface WireMessage {
  direction: 'sent' | 'received';
  transport: string;
  startLine: string;
  /** The status of a response, undefined for a request. */
  status: number | undefined;
  /** The method of a request, or the CSeq method of a response. */
  method: string;
  headers: [name: string, value: string][];
  body: string;
}

const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via',
};

/** Parses one message's text (CRLF or LF line ends, folded lines joined). */
export function parseWire(text: string, direction: WireMessage['direction'] = 'received', transport = ''): WireMessage {
  const normal = text.replace(/\r\n/g, '\n');
  const end = normal.indexOf('\n\n');
  const head = end < 0 ? normal : normal.slice(0, end);
  const body = end < 0 ? '' : normal.slice(end + 2);
  const lines = head.split('\n').reduce<string[]>((acc, line) => {
    if (/^[ \t]/.test(line) && acc.length > 0) acc.push(`${acc.pop() ?? ''} ${line.trim()}`);
    else acc.push(line);
    return acc;
  }, []);
  const startLine = lines.shift() ?? '';
  const headers = lines.flatMap((line): [string, string][] => {
    const colon = line.indexOf(':');
    if (colon < 0) return [];
    const raw = line.slice(0, colon).trim().toLowerCase();
    return [[COMPACT[raw] ?? raw, line.slice(colon + 1).trim()]];
  });
  const statusMatch = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  const cseq = headers.find(([n]) => n === 'cseq')?.[1] ?? '';
  return {
    direction,
    transport,
    startLine,
    status: statusMatch ? Number(statusMatch[1]) : undefined,
    method: statusMatch ? (cseq.split(/\s+/)[1] ?? '') : (startLine.split(' ')[0] ?? ''),
    headers,
    body,
  };
}

/** Every value of a header (by its full lower-case name). */
export function header(m: WireMessage, name: string): string[] {
  return m.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** The URI inside a name-addr (`"x" <sip:a@b>;p`) or an addr-spec (`sip:a@b;p`). */
export function addrUri(value: string): string {
  const angle = /<([^>]*)>/.exec(value);
  return angle ? (angle[1] ?? '') : (value.split(';')[0] ?? '').trim();
}

/** Splits sipp's -trace_msg file into the messages it sent and received. */
export function parseTraceFile(text: string): WireMessage[] {
  const out: WireMessage[] = [];
  const blocks = text.split(/^-{10,} [^\n]*\n/m);
  for (const block of blocks) {
    const m = /^(\w+) message (sent|received)[^\n]*\n\n/.exec(block);
    if (!m) continue;
    const direction = m[2] === 'sent' ? 'sent' : 'received';
    out.push(parseWire(block.slice(m[0].length).replace(/\n+$/, '\n'), direction, m[1] ?? ''));
  }
  return out;
}
