/**
 * Test support for the interop tests of every package: loopback ports that are free for both
 * UDP and TCP (sipp binds both on its `-p` port), and child processes (sipp, sipsak, kamailio)
 * that are always bounded in time and output.
 */
export { freePort } from './free-port.js';
export { runTool, type RunResult, type RunToolOptions } from './run-tool.js';
export { startRedis, type RedisServer, type StartRedisOptions } from './redis.js';
