/**
 * Test support for the interop tests of every package: loopback ports that are free for both
 * UDP and TCP (sipp binds both on its `-p` port), child processes (sipp, sipsak, kamailio, a
 * server's bin) that are always bounded in time and output, waits, sipp's stat counters, and a
 * headless baresip driven over its ctrl_tcp module.
 */
export { freePort } from './free-port.js';
export { runTool, type RunResult, type RunToolOptions } from './run-tool.js';
export { startRedis, type RedisServer, type StartRedisOptions } from './redis.js';
export { killChildren, startChild, type Child, type StartChildOptions } from './start-child.js';
export { listening, sleep, until } from './wait.js';
export { readOr, readSippCallCounts, type SippCallCounts } from './sipp-stats.js';
export { sippArgs, type SippArgsOptions } from './sipp-args.js';
export { rawWsPeer, type RawWsPeer } from './raw-ws-peer.js';
export { startBaresip, type Baresip, type BaresipAccount } from './baresip.js';
export { kamailioUdpHead, startKamailio, type KamailioUdpHeadOptions, type StartKamailioOptions } from './kamailio.js';
