/**
 * @sipts/transaction/node: the stack instance (`createStack`) on Node transports.
 * @packageDocumentation
 */
export { createStack, nextHop, transportsOf, type SentRequest, type SendOptions, type Stack, type StackOptions } from './stack.js';
