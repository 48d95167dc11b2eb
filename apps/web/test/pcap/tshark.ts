/**
 * What tshark's own SIP dissector reports for a capture file: one row per SIP message with its
 * frame, method or status, addresses and ports, and whether Wireshark calls it a resend. The
 * reference the reader and the page are checked against.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TSHARK = '/usr/bin/tshark';
export const hasTshark = existsSync(TSHARK);

/** One SIP message as tshark sees it. */
export interface TsharkRow {
  frame: number;
  /** The method of a request, or the status code of a response. */
  label: string;
  src: string;
  dst: string;
  resend: boolean;
  callId: string;
}

const FIELDS = ['frame.number', 'sip.Method', 'sip.Status-Code', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'tcp.dstport', 'udp.dstport', 'sip.resend', 'sip.Call-ID'];

function endpoint(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Runs `tshark -r FILE -Y sip -T fields …` and returns its rows.
 * @throws Error when tshark fails, or a frame holds more than one SIP message
 */
export function tsharkSip(file: string): TsharkRow[] {
  const args = ['-r', file, '-Y', 'sip', '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', ...FIELDS.flatMap((f) => ['-e', f])];
  const out = execFileSync(TSHARK, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const [frame = '', method = '', status = '', src4 = '', src6 = '', dst4 = '', dst6 = '', tsp = '', usp = '', tdp = '', udp = '', resend = '', callId = ''] = line.split('|');
      if (method.includes(',') || status.includes(',')) throw new Error(`frame ${frame} holds several SIP messages: compare by hand`);
      return {
        frame: Number(frame),
        label: method !== '' ? method : status,
        src: endpoint(src4 || src6, tsp || usp),
        dst: endpoint(dst4 || dst6, tdp || udp),
        resend: resend === '1',
        callId,
      };
    });
}
