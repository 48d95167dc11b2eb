/**
 * IP addresses as text, the way Wireshark and tshark print them (IPv6 in the RFC 5952 form), and
 * endpoints as `host:port` (`[v6]:port`). Pure.
 */

/** Dotted-quad text of 4 bytes. */
export function ipv4Text(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/**
 * RFC 5952 text of 16 bytes: lower-case hex, leading zeros dropped, the longest run of two or more
 * zero groups (the first of equal runs) written `::`.
 * @see RFC 5952 §4
 */
export function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestAt === -1) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

/** `host:port`, with brackets around an IPv6 host (RFC 3986 §3.2.2). */
export function endpointText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
