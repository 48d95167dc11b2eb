/**
 * Contact, Record-Route, Path and Refer-To, parsed up front, are written back as their original
 * lines while the model still says exactly what those lines say, and from the model as soon as
 * anything in them was changed in place. Via, From, To, CSeq and Route are always written from the
 * model. Either way parse(serialize(m)) equals m, whatever was changed.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage, serializeMessage, stringifyMessage, type Headers, type Params, type SipMessage } from '../src/index.js';
import { EVERYDAY } from './everyday.js';
import { readFixture } from './read-fixture.js';

const enc = new TextEncoder();

/** The header lines of a serialized message (start line and empty line left out). */
function lines(text: string): string[] {
  return text.split('\r\n\r\n')[0]?.split('\r\n').slice(1) ?? [];
}

type Change = (h: Headers) => boolean;

function params(v: unknown): Params | undefined {
  return typeof v === 'object' && v !== null && 'params' in v ? (v as { params: Params }).params : undefined;
}

/** In-place changes a user (or a proxy) makes; each returns false when the message has no such header. */
const CHANGES: Record<string, Change> = {
  'top Via branch': (h) => {
    const p = params(h.via?.[0]);
    if (p === undefined) return false;
    p.branch = 'z9hG4bKchanged';
    return true;
  },
  'top Via received added': (h) => {
    const p = params(h.via?.[0]);
    if (p === undefined) return false;
    p.received = '127.0.0.99';
    return true;
  },
  'top Via rport removed or added': (h) => {
    const p = params(h.via?.[0]);
    if (p === undefined) return false;
    if ('rport' in p) delete p.rport;
    else p.rport = null;
    return true;
  },
  'top Via port': (h) => {
    const v = h.via?.[0];
    if (v === undefined) return false;
    v.port = v.port === 5099 ? 5098 : 5099;
    return true;
  },
  'top Via port dropped': (h) => {
    const v = h.via?.[0];
    if (v?.port === undefined) return false;
    v.port = undefined;
    return true;
  },
  'top Via host shortened': (h) => {
    const v = h.via?.[0];
    if (v === undefined || v.host.length < 2 || v.host.startsWith('[')) return false;
    v.host = v.host.slice(0, -1);
    return true;
  },
  'top Via protocol': (h) => {
    const v = h.via?.[0];
    if (v === undefined) return false;
    v.protocol = v.protocol === 'TCP' ? 'UDP' : 'TCP';
    return true;
  },
  'a Via pushed': (h) => {
    if (h.via === undefined) return false;
    h.via.push({ version: '2.0', protocol: 'UDP', host: '127.0.0.97', port: undefined, params: { branch: 'z9hG4bKpushed' } });
    return true;
  },
  'last Via removed': (h) => {
    if (h.via === undefined || h.via.length < 2) return false;
    h.via.pop();
    return true;
  },
  'From tag value shortened': (h) => {
    const p = h.from?.params;
    if (typeof p?.tag !== 'string' || p.tag.length < 2) return false;
    p.tag = p.tag.slice(0, -1);
    return true;
  },
  'From display name': (h) => {
    if (h.from === undefined) return false;
    h.from.name = h.from.name === undefined ? '"Changed"' : undefined;
    return true;
  },
  'From URI': (h) => {
    if (h.from === undefined) return false;
    h.from.uri = 'sip:changed@127.0.0.1';
    return true;
  },
  'To tag added': (h) => {
    if (h.to === undefined || h.to.params.tag !== undefined) return false;
    h.to.params.tag = 'added1';
    return true;
  },
  'CSeq number': (h) => {
    if (h.cseq === undefined) return false;
    h.cseq.seq += 10;
    return true;
  },
  'Contact parameter': (h) => {
    const c = h.contact?.[0];
    if (c === undefined) return false;
    c.params.expires = '0';
    return true;
  },
  'Contact URI gains a parameter (was an addr-spec)': (h) => {
    const c = h.contact?.[0];
    if (c === undefined || c.uri === '*' || c.uri.includes('?')) return false;
    c.uri = c.uri + ';lr';
    return true;
  },
  'Route URI host': (h) => {
    const u = h.route?.[0]?.uri;
    if (typeof u !== 'object' || !('host' in u)) return false;
    u.host = '127.0.0.55';
    return true;
  },
  'Record-Route parameter': (h) => {
    const r = h['record-route']?.[0];
    if (r === undefined) return false;
    r.params.x = 'y';
    return true;
  },
  'Path entry added': (h) => {
    const first = h.path?.[0];
    if (first === undefined) return false;
    h.path?.push({ ...structuredClone(first), params: { added: null } });
    return true;
  },
};

async function inputs(): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = Object.entries(EVERYDAY).map(([name, text]) => [name, enc.encode(text)]);
  const manifest = JSON.parse(new TextDecoder().decode(await readFixture('torture/manifest.json'))) as { file: string; name: string }[];
  for (const c of manifest) out.push([c.name, await readFixture(`torture/${c.file}`)]);
  return out.filter(([, bytes]) => {
    try {
      parseMessage(bytes, { strict: true });
      return true;
    } catch {
      return false;
    }
  });
}

/** `m` as a parse of its serialization must give it: Content-Length as the body's byte count. */
function expectedOf(m: SipMessage): unknown {
  const bodyBytes = typeof m.content === 'string' ? enc.encode(m.content).length : (m.content?.length ?? 0);
  return { ...m, headers: { ...m.headers, 'content-length': bodyBytes } };
}

describe('structured headers still as parsed', () => {
  it('an unmodified message keeps every line but Via, From, To, CSeq and Route as it came', () => {
    for (const name of ['invite', 'ok200', 'refer']) {
      const text = EVERYDAY[name] ?? '';
      const modelled = /^(Via|v|From|f|To|t|CSeq|Route):/;
      const kept = lines(text).filter((l) => !modelled.test(l));
      expect(lines(stringifyMessage(parseMessage(enc.encode(text)))).filter((l) => !modelled.test(l))).toEqual(kept);
      expect(lines(new TextDecoder().decode(serializeMessage(parseMessage(text)))).filter((l) => !modelled.test(l))).toEqual(kept);
    }
  });

  it('compact, oddly spaced Contact and Record-Route lines stay as they came while unchanged', () => {
    const text = 'OPTIONS sip:b@127.0.0.2 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1\r\nm:  A <sip:a@127.0.0.1> ;expires=60 ;q=0.5\r\nRecord-Route: <sip:127.0.0.3;lr>,<sip:127.0.0.4;lr>\r\nr: sip:c@127.0.0.5\r\nl: 0\r\n\r\n';
    const out = lines(stringifyMessage(parseMessage(text)));
    expect(out.slice(1)).toEqual(lines(text).slice(1));
    expect(out[0]).toBe('Via: SIP/2.0/UDP 127.0.0.1');
  });

  it('an upper-case parameter name is written from the model (the text would still parse the same)', () => {
    const text = 'OPTIONS sip:b@127.0.0.2 SIP/2.0\r\nContact: <sip:a@127.0.0.1>;Expires=60\r\nContent-Length: 0\r\n\r\n';
    expect(lines(stringifyMessage(parseMessage(text)))).toContain('Contact: <sip:a@127.0.0.1>;expires=60');
  });

  it('a change in place is written from the model, and parse(serialize(m)) equals m', async () => {
    const all = await inputs();
    expect(all.length).toBeGreaterThanOrEqual(35);
    const applied: Record<string, number> = {};
    for (const [name, bytes] of all) {
      const original = new TextDecoder('latin1').decode(bytes);
      for (const [what, change] of Object.entries(CHANGES)) {
        const m = parseMessage(bytes);
        if (!change(m.headers)) continue;
        applied[what] = (applied[what] ?? 0) + 1;
        const text = stringifyMessage(m);
        expect(parseMessage(text), `${name}: ${what}`).toEqual(expectedOf(m));
        expect(parseMessage(serializeMessage(m)), `${name}: ${what}`).toEqual(expectedOf(m));
        expect(text, `${name}: ${what}`).not.toBe(original);
      }
    }
    // Every change ran on at least one message (so none of them is a test that cannot fail).
    for (const what of Object.keys(CHANGES)) expect(applied[what] ?? 0, what).toBeGreaterThan(0);
  });

  it('only the changed header leaves its original lines', () => {
    const text = EVERYDAY.ok200 ?? '';
    const m = parseMessage(text);
    const rr = m.headers['record-route']?.[1];
    if (rr !== undefined) rr.params.x = '1';
    const out = lines(stringifyMessage(m));
    const before = lines(text);
    expect(out.filter((l) => !before.includes(l))).toEqual(['Record-Route: <sip:127.0.0.3;lr>', 'Record-Route: <sip:127.0.0.5;lr;transport=tcp>;x=1']);
  });
});
