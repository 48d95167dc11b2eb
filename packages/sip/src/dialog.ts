/**
 * @sipts/sip/dialog: `@sipts/dialog` re-exported under the facade, for users who install only
 * `@sipts/sip`: dialogs, INVITE sessions, PRACK, UPDATE, session timers and a B2BUA. Not part of
 * the classic API (the classic package stops at transactions).
 * @packageDocumentation
 */
export * from '@sipts/dialog';
export { createNodeUserAgent, type NodeUserAgent, type NodeUserAgentOptions } from '@sipts/dialog/node';
