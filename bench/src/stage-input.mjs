/**
 * The input the stage scripts (stages.mjs for time, alloc-stages.mjs for bytes) measure: the input
 * named on the command line (default `invite`), its bytes and text, its header lines, a lookup of one
 * header's value, and the classic package to compare with.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { INPUTS } from './inputs.mjs';

const require = createRequire(import.meta.url);
/** The classic `sip` package. */
export const sip = require('sip');
/** The input's name (argv[2], default `invite`). */
export const input = process.argv[2] ?? 'invite';
export const bytes = new Uint8Array(readFileSync(new URL(`../inputs/${INPUTS[input].file}`, import.meta.url)));
export const text = new TextDecoder().decode(bytes);
/** The header lines (start line first), unfolded input assumed. */
export const lines = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
/** The value of the first header line called `name` (lower case), as written. */
export const value = (name) => lines.find((l) => l.toLowerCase().startsWith(name + ':'))?.replace(/^[^:]+:\s*/, '');
/** The decoder the parser uses (UTF-8, fatal). */
export const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
