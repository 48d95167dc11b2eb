/**
 * @sipts/proxy/node: `createProxyStack` (a Node stack wired for proxying) and the classic
 * module-level `start`, `send`, `stop`.
 * @packageDocumentation
 */
export { createProxyStack, type ProxyStackInstance, type ProxyStackOptions } from './proxy-stack.js';
export { contexts, send, start, stop } from './classic.js';
