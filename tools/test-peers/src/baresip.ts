/**
 * Debian's baresip 1.0.0 (baresip-core) headless: its config directory written to a temp dir
 * (`config`, `accounts`, `contacts`), no audio device (the aubridge module is both the audio
 * source and player, so no sound card and no file is needed), no console module (stdin is not a
 * terminal here), and its ctrl_tcp module as the remote control: netstring-framed JSON commands
 * (`{"command":"dial","params":"sip:bob@localhost","token":"1"}`) and events
 * (`{"event":true,"type":"CALL_ESTABLISHED",...}`). `-s` prints the SIP trace to stdout. The
 * account's `outbound` proxy, when given (a registrar-proxy, a B2BUA), gets every request baresip
 * sends, with a loose Route to it (RFC 3261 §16.4 makes the proxy remove it). With a password the
 * account registers there (every 60 s); without one it does not register (regint=0).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startChild, type Child } from './start-child.js';
import { listening, until } from './wait.js';

const BARESIP = '/usr/bin/baresip';

/** What the account is, whether it registers, and where its outbound proxy is. */
export interface BaresipAccount {
  user: string;
  /** The digest password: the account registers with its outbound proxy. None: no REGISTER. */
  password?: string;
  domain: string;
  /** The outbound proxy's port on 127.0.0.1 for `transport`, or none. */
  proxyPort?: number;
  /** Default UDP. Over TCP baresip keeps its connection to the server open (the flow). */
  transport?: 'udp' | 'tcp' | 'tls';
  /** For TLS: the CA file baresip trusts for the server's certificate (`sip_cafile`). */
  cafile?: string;
  /** `outbound`: RFC 5626 (reg-id, +sip.instance, and keep-alives at the 200's Flow-Timer). */
  sipnat?: 'outbound';
}

/** A running baresip with its remote control connected. */
export interface Baresip {
  /** baresip's SIP port (UDP and TCP) on 127.0.0.1. */
  sipPort: number;
  child: Child;
  /** Every JSON message (events and responses) received on ctrl_tcp so far. */
  messages: Record<string, unknown>[];
  /** Sends a command line (e.g. `dial sip:bob@localhost`, `hangup`, `quit`). */
  command(line: string): void;
  /** Resolves with the first message matching `pred` (already received or coming) within `ms`. */
  waitFor(pred: (m: Record<string, unknown>) => boolean, ms: number, what: string): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Writes the config directory; returns the SIP and control ports chosen. */
async function writeConfigDir(dir: string, account: BaresipAccount): Promise<{ sip: number; ctrl: number }> {
  mkdirSync(dir, { recursive: true });
  const sip = await sipPort();
  let ctrl = await freePort();
  while (ctrl === sip || ctrl === sip + 1) ctrl = await freePort();
  const config = [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${String(sip)}`,
    'call_local_timeout 20',
    'call_max_calls 1',
    'audio_player aubridge,nil',
    'audio_source aubridge,nil',
    'audio_alert aubridge,nil',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aubridge.so',
    'module ctrl_tcp.so',
    // uuid.so gives the +sip.instance that outbound needs; loaded only then (no other test changes).
    ...(account.sipnat !== undefined ? ['module_tmp uuid.so'] : []),
    'module_tmp account.so',
    'module_app contact.so',
    'module_app menu.so',
    `ctrl_tcp_listen 127.0.0.1:${String(ctrl)}`,
    ...(account.cafile !== undefined ? [`sip_cafile ${account.cafile}`] : []),
    '',
  ];
  writeFileSync(join(dir, 'config'), config.join('\n'));
  const transport = account.transport ?? 'udp';
  const params = [
    ...(account.password !== undefined ? [`auth_pass=${account.password}`] : []),
    ...(account.proxyPort !== undefined ? [`outbound="sip:127.0.0.1:${String(account.proxyPort)};transport=${transport}"`] : []),
    `regint=${account.password !== undefined ? '60' : '0'}`,
    'answermode=manual',
    ...(account.sipnat !== undefined ? [`sipnat=${account.sipnat}`] : []),
  ];
  writeFileSync(join(dir, 'accounts'), `<sip:${account.user}@${account.domain};transport=${transport}>;${params.join(';')}\n`);
  writeFileSync(join(dir, 'contacts'), '');
  return { sip, ctrl };
}

/** True when a TCP listener can bind 127.0.0.1:`port` now. */
function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * A SIP port for baresip: baresip 1.0.0 also listens for TLS on the next port (and fails to
 * start when that one is taken), so both must be free.
 */
async function sipPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port < 65_535 && (await tcpFree(port + 1))) return port;
  }
  throw new Error('no free port pair for baresip');
}

/** Netstring framing (`<length>:<bytes>,`) of ctrl_tcp. */
function netstring(text: string): string {
  return `${String(Buffer.byteLength(text))}:${text},`;
}

/** Starts baresip with its config in `dir` and connects to its ctrl_tcp port. */
export async function startBaresip(dir: string, account: BaresipAccount, timeoutMs = 40_000): Promise<Baresip> {
  const ports = await writeConfigDir(dir, account);
  const child = startChild(BARESIP, ['-f', dir, '-s', '-t', String(Math.floor(timeoutMs / 1000))], { cwd: dir, timeoutMs: timeoutMs + 5000 });
  const state = { exited: false };
  void child.done.then(() => {
    state.exited = true;
  });
  await until(() => state.exited || listening('TCP', ports.ctrl), 10_000, 'baresip ctrl_tcp to listen');
  if (state.exited) throw new Error(`baresip exited at start:\n${child.output().slice(-3000)}`);
  const socket: Socket = connect({ host: '127.0.0.1', port: ports.ctrl });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const messages: Record<string, unknown>[] = [];
  let buffer = '';
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    for (;;) {
      const colon = buffer.indexOf(':');
      if (colon < 0) break;
      const length = Number(buffer.slice(0, colon));
      if (!Number.isInteger(length) || buffer.length < colon + 1 + length + 1) break;
      const body = buffer.slice(colon + 1, colon + 1 + length);
      buffer = buffer.slice(colon + 1 + length + 1);
      try {
        const parsed: unknown = JSON.parse(body);
        if (typeof parsed === 'object' && parsed !== null && messages.length < 1000) messages.push(parsed as Record<string, unknown>);
      } catch {
        // not JSON: ignored
      }
    }
  });
  let token = 0;
  return {
    sipPort: ports.sip,
    child,
    messages,
    command(line) {
      const space = line.indexOf(' ');
      const cmd = space < 0 ? line : line.slice(0, space);
      const params = space < 0 ? undefined : line.slice(space + 1);
      socket.write(netstring(JSON.stringify({ command: cmd, ...(params !== undefined ? { params } : {}), token: String(++token) })));
    },
    async waitFor(pred, ms, what) {
      let found: Record<string, unknown> | undefined;
      await until(() => (found = messages.find(pred)) !== undefined, ms, `${what}; baresip said:\n${child.output().slice(-3000)}`);
      if (found === undefined) throw new Error('unreachable');
      return found;
    },
    async stop() {
      socket.destroy();
      await child.kill();
    },
  };
}
