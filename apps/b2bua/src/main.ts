/**
 * sipts-b2bua --listen 127.0.0.1:5070 --target 127.0.0.1:5080 [--tcp]
 * Bridges every incoming call to the target; prints its counters on SIGINT/SIGTERM and exits.
 */
import { parseArgs } from 'node:util';
import { startB2BUAApp } from './b2bua-app.js';

const { values } = parseArgs({
  options: { listen: { type: 'string', default: '127.0.0.1:5070' }, target: { type: 'string' }, tcp: { type: 'boolean', default: false } },
});
const [address = '127.0.0.1', port = '5070'] = values.listen.split(/:(?=\d+$)/);
if (values.target === undefined) {
  process.stderr.write('usage: sipts-b2bua --listen host:port --target host:port [--tcp]\n');
  process.exit(2);
}
const app = await startB2BUAApp({ address, port: Number(port), protocol: values.tcp ? 'tcp' : 'udp', target: values.target });
process.stdout.write(`sipts-b2bua listening on ${address}:${port}, bridging to ${values.target}\n`);
const shutdown = (): void => {
  process.stdout.write(`${JSON.stringify(app.stats)}\n`);
  void app.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
