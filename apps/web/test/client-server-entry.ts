/**
 * The server app's entry points for the end-to-end tests (in-process, from its TypeScript
 * sources). One place to change if @sipts/server grows a package entry.
 */
export { createServer } from '../../server/src/server.js';
export { loadConfig } from '../../server/src/config/index.js';
export { openStore, type LocationStore } from '../../server/src/store/index.js';
