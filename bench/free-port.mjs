/**
 * A port free on `host` for both UDP and TCP (sipp opens both), shared by the benchmarks that
 * start servers and sipps on loopback.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** @returns {Promise<number>} a port that TCP listened on and UDP could bind, both released again */
export async function freePort(host = '127.0.0.1') {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    const port = await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve(server.address().port));
    });
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    await new Promise((r) => udp.close(r)).catch(() => undefined);
    await new Promise((r) => server.close(r));
    if (ok) return port;
  }
  throw new Error(`no free port on ${host}`);
}
