import { describe, expect, it } from 'vitest';
import { Kind } from './header-kinds.js';
import { LAZY, knownHeaderAt } from './known-headers.js';
import { COMPACT_FORMS } from './header-names.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const kindOfName = (name: string) => knownHeaderAt(bytes(name), 0, name.length)?.kind ?? Kind.Text;

describe('header kinds', () => {
  it('makes exactly Contact, Record-Route, Path, Refer-To and the authentication headers lazy, the latter always', () => {
    const auth = ['www-authenticate', 'proxy-authenticate', 'authorization', 'proxy-authorization', 'authentication-info', 'proxy-authentication-info'];
    expect(LAZY.map((h) => h.key).sort()).toEqual(['contact', 'record-route', 'path', 'refer-to', ...auth].sort());
    for (const key of ['via', 'from', 'to', 'cseq', 'call-id', 'content-length', 'max-forwards', 'route', 'date', 'subject', 'x-foo', ...auth]) {
      expect(kindOfName(key) >= Kind.Contact, key).toBe(LAZY.some((h) => h.key === key));
      expect(kindOfName(key) >= Kind.Auth, key).toBe(auth.includes(key));
    }
  });

  it('recognises the names the parser needs in any case, and their compact forms, with their kinds', () => {
    const expected: [string, Kind][] = [
      ['Via', Kind.Via], ['v', Kind.Via], ['FROM', Kind.From], ['f', Kind.From], ['To', Kind.To], ['T', Kind.To],
      ['CSeq', Kind.CSeq], ['Call-ID', Kind.CallId], ['i', Kind.CallId], ['Content-Length', Kind.ContentLength],
      ['l', Kind.ContentLength], ['Max-Forwards', Kind.MaxForwards], ['Route', Kind.Route], ['Date', Kind.Date],
      ['Contact', Kind.Contact], ['m', Kind.Contact], ['Record-Route', Kind.RecordRoute], ['Path', Kind.Path],
      ['Refer-To', Kind.ReferTo], ['r', Kind.ReferTo], ['Proxy-Authorization', Kind.Auth],
      ['Proxy-Authentication-Info', Kind.AuthInfo], ['Subject', Kind.Text], ['s', Kind.Text],
    ];
    for (const [name, kind] of expected) expect(kindOfName(name), name).toBe(kind);
    for (const [c, full] of Object.entries(COMPACT_FORMS)) expect(knownHeaderAt(bytes(c.toUpperCase()), 0, 1)?.key).toBe(full);
    expect(knownHeaderAt(bytes('X-Unknown'), 0, 9)).toBeUndefined();
  });
});
