/**
 * SIP message builders for the matching, transaction-layer and stack tests: text in, parsed
 * messages out, so every test message goes through the real parser.
 */
import { parseMessage, type SipRequest, type SipResponse } from '@sipts/message';

const enc = new TextEncoder();

/** Parts of a request; every one has a default. `null` leaves a header out. */
export interface RequestParts {
  method?: string;
  uri?: string;
  via?: string | null;
  from?: string | null;
  to?: string | null;
  callId?: string | null;
  cseq?: string | null;
  maxForwards?: string | null;
  extra?: string[];
  body?: string;
}

/** A request's text (CRLF line ends, Content-Length computed). */
export function requestText(p: RequestParts = {}): string {
  const method = p.method ?? 'OPTIONS';
  const body = p.body ?? '';
  const lines = [`${method} ${p.uri ?? 'sip:bob@example.com'} SIP/2.0`];
  const add = (name: string, v: string | null | undefined, dflt: string): void => {
    if (v === null) return;
    lines.push(`${name}: ${v ?? dflt}`);
  };
  add('Via', p.via, 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbranch1');
  add('From', p.from, '<sip:alice@example.com>;tag=ftag');
  add('To', p.to, '<sip:bob@example.com>');
  add('Call-ID', p.callId, 'call-1@example.com');
  add('CSeq', p.cseq, `1 ${method}`);
  add('Max-Forwards', p.maxForwards, '70');
  for (const e of p.extra ?? []) lines.push(e);
  lines.push(`Content-Length: ${String(enc.encode(body).length)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A parsed request. */
export function request(p: RequestParts = {}): SipRequest {
  return parseMessage(enc.encode(requestText(p))) as SipRequest;
}

/** Parts of a response. */
export interface ResponseParts {
  status?: number;
  reason?: string;
  via?: string;
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
  extra?: string[];
}

/** A parsed response. */
export function response(p: ResponseParts = {}): SipResponse {
  const lines = [
    `SIP/2.0 ${String(p.status ?? 200)} ${p.reason ?? 'OK'}`,
    `Via: ${p.via ?? 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbranch1'}`,
    `From: ${p.from ?? '<sip:alice@example.com>;tag=ftag'}`,
    `To: ${p.to ?? '<sip:bob@example.com>;tag=ttag'}`,
    `Call-ID: ${p.callId ?? 'call-1@example.com'}`,
    `CSeq: ${p.cseq ?? '1 OPTIONS'}`,
    ...(p.extra ?? []),
    'Content-Length: 0',
  ];
  return parseMessage(enc.encode(`${lines.join('\r\n')}\r\n\r\n`)) as SipResponse;
}
