import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port free on `host` for both UDP and TCP (sipp listens on both on its `-p` port, and
 * defaults to 5060 without it).
 * @throws Error when 20 attempts found none
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => {
        resolve(false);
      });
      udp.bind(port, host, () => {
        resolve(true);
      });
    });
    await new Promise<void>((r) => udp.close(() => { r(); })).catch(() => undefined);
    await new Promise<void>((r) => server.close(() => { r(); }));
    if (ok) return port;
  }
  throw new Error('no port free for both UDP and TCP');
}
