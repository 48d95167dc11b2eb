import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { advertisedHost } from '../src/advertised-host.js';
import { parseConfig } from '../src/config/index.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  family === 'IPv4' ? { address, family, internal, netmask: '', mac: '', cidr: null } : { address, family, internal, netmask: '', mac: '', cidr: null, scopeid: 0 };
const host = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('fe80::1', 'IPv6'), iface('fd00::2', 'IPv6'), iface('192.0.2.2', 'IPv4')],
};
const at = (address: string, publicAddress: string | null = null) => parseConfig({ listen: { address, publicAddress } });

describe('advertisedHost', () => {
  it('is publicAddress when set, whatever the bind', () => {
    expect(advertisedHost(at('0.0.0.0', 'sip.example.com'), host)).toBe('sip.example.com');
    expect(advertisedHost(at('127.0.0.1', 'sip.example.com'), host)).toBe('sip.example.com');
  });
  it('is undefined for a specific bind address (the proxy writes that address)', () => {
    expect(advertisedHost(at('127.0.0.1'), host)).toBeUndefined();
    expect(advertisedHost(at('::1'), host)).toBeUndefined();
  });
  it('is an external interface address for a wildcard bind: IPv4 first, never link-local', () => {
    expect(advertisedHost(at('0.0.0.0'), host)).toBe('192.0.2.2');
    expect(advertisedHost(at('::'), host)).toBe('192.0.2.2');
    expect(advertisedHost(at('::'), { lo: host.lo, eth0: [iface('fe80::1', 'IPv6'), iface('fd00::2', 'IPv6')] })).toBe('fd00::2');
  });
  it('falls back to loopback on a machine with no external interface', () => {
    expect(advertisedHost(at('0.0.0.0'), { lo: host.lo })).toBe('127.0.0.1');
    expect(advertisedHost(at('::'), { lo: host.lo })).toBe('::1');
  });
});
