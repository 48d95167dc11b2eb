/**
 * The `sipts-server` command: `serve` (the default) starts the registrar and proxy and prints what
 * to point a phone at; `add-user` prints a user entry with both HA1s; `--help`.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './config/errors.js';
import type { ServerConfig } from './config/schema.js';
import { ha1Entry } from './config/users.js';
import { loadConfigInChild } from './config-child.js';
import { createServer, type ServerPorts } from './server.js';

const HELP = `sipts-server: a SIP registrar and proxy (UDP, TCP, TLS, WebSocket)

Usage:
  sipts-server [serve] [flags]        start the server
  sipts-server add-user <user> [--realm R] [--password P]
                                      print a config entry with the user's MD5 and SHA-256 HA1
                                      (the password is read from stdin when --password is absent)
  sipts-server --help

Flags of serve (each overrides the config file and the SIPTS_* variables):
  --config FILE          YAML config (default: the embedded config/sipts-server.yaml; env SIPTS_CONFIG)
  --address ADDR         listen address (127.0.0.1, ::1, 0.0.0.0, ::)
  --udp-port N|false     SIP over UDP           (env SIPTS_UDP_PORT)
  --tcp-port N|false     SIP over TCP           (env SIPTS_TCP_PORT)
  --ws-port N|false      SIP over WebSocket     (env SIPTS_WS_PORT)
  --http-port N|false    /metrics and /health   (env SIPTS_HTTP_PORT)
  --data-dir DIR         where location.sqlite lives (env SIPTS_DATA_DIR)
  --store sqlite|redis|memory                   (env SIPTS_STORE)
  --redis-url URL        with --store redis     (env SIPTS_REDIS_URL)
  --log-level LEVEL      fatal error warn info debug trace silent (env SIPTS_LOG_LEVEL)
Port 0 picks a free port. Logs are JSON lines on stderr; this banner goes to stdout.
`;

function hostForUri(address: string, domains: readonly string[]): string {
  if (address === '0.0.0.0' || address === '::') return domains[0] ?? 'localhost';
  return address.includes(':') ? `[${address}]` : address;
}

/** A Redis URL without its password, for the banner. */
function redactPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The human-readable start-up block: what to point a phone, sipp or a browser at. */
export function banner(config: ServerConfig, ports: ServerPorts, instanceId: string): string {
  const host = hostForUri(config.listen.address, config.domains);
  const realm = config.domains[0] ?? 'localhost';
  const lines = [
    'sipts-server is running',
    `  domain (realm):  ${realm}   (also: ${config.domains.slice(1).join(', ') || 'none'})`,
    `  SIP URI:         sip:${host}${ports.udp !== undefined && ports.udp !== 5060 ? `:${String(ports.udp)}` : ''}`,
  ];
  if (ports.udp !== undefined) lines.push(`  UDP:             ${host}:${String(ports.udp)}`);
  if (ports.tcp !== undefined) lines.push(`  TCP:             ${host}:${String(ports.tcp)}`);
  if (ports.tls !== undefined) lines.push(`  TLS:             ${host}:${String(ports.tls)}`);
  if (ports.ws !== undefined) lines.push(`  WebSocket:       ws://${host}:${String(ports.ws)}/`);
  if (ports.wss !== undefined) lines.push(`  WebSocket (TLS): wss://${host}:${String(ports.wss)}/`);
  if (ports.http !== undefined) {
    const h = hostForUri(config.http.address, ['127.0.0.1']);
    lines.push(`  metrics:         http://${h}:${String(ports.http)}/metrics   health: http://${h}:${String(ports.http)}/health`);
  }
  const users = config.users.map((u) => u.user);
  lines.push(`  users:           ${users.length > 0 ? users.join(', ') : '(none: add some with `sipts-server add-user`)'}`);
  if (users.includes('alice') && users.includes('bob')) lines.push('                   demo passwords: alice / alice-secret, bob / bob-secret');
  const redisWhere = config.store.kind === 'redis' ? (config.store.cluster !== undefined ? `cluster ${config.store.cluster.nodes.map(redactPassword).join(', ')}` : redactPassword(config.store.url)) : '';
  lines.push(`  store:           ${config.store.kind}${config.store.kind === 'sqlite' ? ` (${config.dataDir}/location.sqlite)` : config.store.kind === 'redis' ? ` (${redisWhere})` : ''}`);
  lines.push(`  instance:        ${instanceId}`);
  lines.push(`  softphone:       user alice, domain ${realm}, proxy ${host}:${String(ports.udp ?? ports.tcp ?? 5060)}, password alice-secret`);
  return `${lines.join('\n')}\n`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function addUser(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { realm: { type: 'string' }, password: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  const user = positionals[0];
  if (values.help === true || user === undefined) {
    process.stdout.write(HELP);
    return user === undefined && values.help !== true ? 2 : 0;
  }
  const password = values.password ?? (await readStdin());
  if (password === '') {
    process.stderr.write('add-user: empty password\n');
    return 2;
  }
  const e = ha1Entry(user, values.realm ?? 'localhost', password);
  process.stdout.write(`  - user: ${e.user}\n    ha1:\n      md5: "${e.ha1.md5}"\n      sha256: "${e.ha1.sha256}"\n`);
  return 0;
}

async function serve(argv: string[]): Promise<number> {
  // The configuration is read in a child process: its parse garbage (thousands of users) and the
  // YAML and schema libraries never become resident memory of the server process.
  const loaded = loadConfigInChild({ argv, env: { ...process.env }, cwd: process.cwd() });
  if ('help' in loaded) {
    process.stdout.write(HELP);
    return 0;
  }
  const { config } = loaded;
  // Listen for the signals before anything is printed: a supervisor may signal as soon as it
  // reads the banner.
  let stopRequested!: () => void;
  const signalled = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stdout.write(`${signal}: stopping\n`);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    stopRequested();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const server = createServer(config);
  await server.start(); // a signal during start stops right after it
  process.stdout.write(banner(config, server.ports, server.instanceId));
  await signalled;
  await server.stop();
  return 0;
}

/** Runs the command with `argv` (after the program name); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (argv[0] === 'add-user') return await addUser(argv.slice(1));
    return await serve(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`sipts-server: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`sipts-server: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
