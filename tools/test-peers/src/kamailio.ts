/**
 * Debian's kamailio for the interop tests: writes `config` as kamailio.cfg in a fresh folder of
 * `dir`, starts kamailio in the foreground in a process group of its own (its workers die with
 * it), and waits until every port of `listens` is bound on 127.0.0.1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, type Child } from './start-child.js';
import { listening, until } from './wait.js';

const KAMAILIO = '/usr/sbin/kamailio';

/** Options of {@link startKamailio}. */
export interface StartKamailioOptions {
  /** A folder for the config and kamailio's run files (a subfolder is made in it). */
  dir: string;
  /** The whole kamailio.cfg. */
  config: string;
  /** The ports the config listens on, waited for before returning. */
  listens: readonly { protocol: 'UDP' | 'TCP'; port: number }[];
  /**
   * SIGKILLed after this long. Default: no timer; kamailio lives until the test kills it (the
   * returned child's `kill()`, or `killChildren()` in an `afterAll`), or the test process ends. A
   * fixed lifetime killed it under tests that were still running on a slow machine.
   */
  timeoutMs?: number;
  /** Shared and private memory in MB (`-m`, `-M`). Default 32 and 4. */
  memoryMb?: { shared: number; private: number };
}

/**
 * Starts kamailio and resolves once it listens.
 * @throws Error when kamailio exits at start (with the end of its output) or does not listen within 15 s
 * @example const k = await startKamailio({ dir, config, listens: [{ protocol: 'UDP', port }] }); afterAll(() => k.kill());
 */
export async function startKamailio(options: StartKamailioOptions): Promise<Child> {
  const work = mkdtempSync(join(options.dir, 'kamailio-'));
  const cfg = join(work, 'kamailio.cfg');
  writeFileSync(cfg, options.config);
  const runDir = mkdtempSync(join(work, 'run-'));
  const memory = options.memoryMb ?? { shared: 32, private: 4 };
  const child = startChild(KAMAILIO, ['-DD', '-E', '-f', cfg, '-Y', runDir, '-w', work, '-m', String(memory.shared), '-M', String(memory.private)], { cwd: work, group: true, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  const state = { exited: false };
  void child.done.then(() => {
    state.exited = true;
  });
  await until(() => state.exited || options.listens.every((l) => listening(l.protocol, l.port)), 15_000, 'kamailio to listen');
  if (state.exited) throw new Error(`kamailio exited at start:\n${child.output().slice(-3000)}`);
  return child;
}

/** Options of {@link kamailioUdpHead}. */
export interface KamailioUdpHeadOptions {
  /** The UDP port on 127.0.0.1. */
  port: number;
  /** Worker processes (`children`). Default 1. */
  children?: number;
  /** Modules to load, without `.so` (`['tm', 'sl', 'pv']`). */
  modules: readonly string[];
}

/**
 * The head every UDP-only kamailio.cfg of the tests shares: logs to stderr, no TCP, no aliases,
 * one listener on 127.0.0.1, and the modules; the test appends its modparams and routes.
 * @example const config = `${kamailioUdpHead({ port, modules: ['tm', 'sl'] })}\nrequest_route { t_relay(); }\n`;
 */
export function kamailioUdpHead(options: KamailioUdpHeadOptions): string {
  return [
    '#!KAMAILIO',
    'debug=2',
    'log_stderror=yes',
    `children=${String(options.children ?? 1)}`,
    'disable_tcp=yes',
    'auto_aliases=no',
    `listen=udp:127.0.0.1:${String(options.port)}`,
    '',
    ...options.modules.map((m) => `loadmodule "${m}.so"`),
  ].join('\n');
}
