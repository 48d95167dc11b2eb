/** The benchmark inputs (files in ../inputs) and the transaction keys each must parse to. */
import { readFileSync } from 'node:fs';

const dir = new URL('../inputs/', import.meta.url);

export const INPUTS = {
  invite: {
    file: 'invite.sip',
    about: 'sipp-style INVITE with SDP (docs/CLASSIC-API.md "Messages"; Content-Length fixed to 129)',
    expected: {
      branch: 'z9hG4bK-1075-1-0', host: '127.0.1.1', port: 5060, fromTag: '1075SIPpTag001', toTag: undefined,
      callId: '1-1075@127.0.1.1', seq: 1, method: 'INVITE',
    },
  },
  ok200: {
    file: 'ok200.sip',
    about: '200 OK to the INVITE (To tag, Contact, Content-Length 0)',
    expected: {
      branch: 'z9hG4bK-1075-1-0', host: '127.0.1.1', port: 5060, fromTag: '1075SIPpTag001', toTag: '1076SIPpTag012',
      callId: '1-1075@127.0.1.1', seq: 1, method: 'INVITE',
    },
  },
  register: {
    file: 'register.sip',
    about: 'REGISTER with a Digest Authorization header (qop=auth)',
    expected: {
      branch: 'z9hG4bK776asdhds', host: '192.0.2.10', port: 5060, fromTag: '456248', toTag: undefined,
      callId: '843817637684230@998sdasdh09', seq: 1826, method: 'REGISTER',
    },
  },
  wsinv: {
    file: 'wsinv.sip',
    about: 'RFC 4475 §3.1.1.1 wsinv (folding, odd whitespace, compact forms), bytes as in the corpus',
    expected: {
      branch: '390skdjuw', host: '192.0.2.2', port: undefined, fromTag: '98asjd8', toTag: '1918181833n',
      callId: 'wsinv.ndaksdj@192.0.2.1', seq: 9, method: 'INVITE',
    },
  },
};

/** The input as a Buffer (a Uint8Array), as a UDP socket delivers it. */
export function loadInput(name) {
  const input = INPUTS[name];
  if (input === undefined) throw new Error(`unknown input '${name}'`);
  return readFileSync(new URL(input.file, dir));
}

/** Compares parsed keys with the expected ones; returns a list of differences (empty when equal). */
export function diffKeys(actual, expected) {
  const out = [];
  for (const k of Object.keys(expected)) {
    const a = actual[k] === null ? undefined : actual[k];
    if (a !== expected[k]) out.push(`${k}: got ${JSON.stringify(a)}, want ${JSON.stringify(expected[k])}`);
  }
  return out;
}

const SDP =
  'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.1.1\r\ns=-\r\nc=IN IP4 127.0.1.1\r\nt=0 0\r\n' +
  'm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** Mode (d): the reference INVITE built from scratch as a plain object in the classic model. */
export function buildInvite() {
  return {
    method: 'INVITE',
    uri: 'sip:service@172.16.2.2:5060',
    version: '2.0',
    headers: {
      via: [{ version: '2.0', protocol: 'UDP', host: '127.0.1.1', port: 5060, params: { branch: 'z9hG4bK-1075-1-0' } }],
      from: { name: 'sipp', uri: 'sip:sipp@127.0.1.1:5060', params: { tag: '1075SIPpTag001' } },
      to: { name: 'sut', uri: 'sip:service@172.16.2.2:5060', params: {} },
      'call-id': '1-1075@127.0.1.1',
      cseq: { seq: 1, method: 'INVITE' },
      contact: [{ uri: 'sip:sipp@127.0.1.1:5060', params: {} }],
      'max-forwards': '70',
      subject: 'Performance Test',
      'content-type': 'application/sdp',
    },
    content: SDP,
  };
}
