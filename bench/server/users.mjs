/**
 * Benchmark users: u0…u(n-1) with password p<i>, their HA1s for the server config (RFC 7616
 * §3.4.2: H(username ":" realm ":" password), MD5 and SHA-256) and the sipp injection file.
 */
import { createHash } from 'node:crypto';

const h = (algorithm, text) => createHash(algorithm).update(text).digest('hex');

/** @returns {{ user: string, password: string }[]} */
export function benchUsers(n) {
  return Array.from({ length: n }, (_, i) => ({ user: `u${i}`, password: `p${i}-secret` }));
}

/** The `users:` entries of the server's YAML config for `realm`. */
export function usersYaml(users, realm) {
  return users
    .map(({ user, password }) => `  - { user: ${user}, ha1: { md5: ${h('md5', `${user}:${realm}:${password}`)}, sha256: ${h('sha256', `${user}:${realm}:${password}`)} } }`)
    .join('\n');
}

/**
 * A sipp injection file, taken in order: `user;password;[authentication …];extra` per line. The
 * keyword is written out per user because sipp 3.6.1 substitutes no [fieldN] inside it.
 */
export function injectionFile(users, extra = () => undefined) {
  const line = (u) => [u.user, u.password, `[authentication username=${u.user} password=${u.password}]`, extra(u)].filter((x) => x !== undefined).join(';');
  return ['SEQUENTIAL', ...users.map(line)].join('\n') + '\n';
}
