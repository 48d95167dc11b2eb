/**
 * A classic-style UAS (apps/ringing-uas.cjs) that answers the CANCEL 200 and the INVITE 487
 * itself, as the classic API required, on the facade: the stack has answered both already, so
 * the app's answers are absorbed and sipp's caller sees each once, over UDP and TCP (RFC 3261
 * §9.2). And a Request-URI scheme the stack does not handle gets 416 before the app, which would
 * answer 200 (RFC 3261 §8.2.2.1; RFC 4475 unkscm, novelsc).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLASSIC } from './harness/impl.js';
import { useExampleApp } from './harness/use-example-app.js';

const CALLS = 200;
const errorsDir = mkdtempSync(join(tmpdir(), 'sipts-cancel-416-'));
afterAll(() => {
  rmSync(errorsDir, { recursive: true, force: true });
});

/** What sipp logged as errors (-trace_err): dead-call messages, unexpected messages. */
function errorLog(file: string): string {
  return readdirSync(errorsDir).includes(file) ? readFileSync(join(errorsDir, file), 'latin1') : '';
}

describe.skipIf(CLASSIC)('CANCEL answered once, 416 for unknown URI schemes (sipp)', () => {
  const ex = useExampleApp('ringing-uas');

  it.each(['u1', 't1'] as const)(`sipp cancels ${String(CALLS)} calls over %s: zero failed, no dead-call messages`, async (transport) => {
    const errors = `cancel-${transport}.log`;
    const run = await ex.sipp('cancel-uac', { service: 'bob', transport, calls: CALLS, rate: 50, limit: 20, timeoutMs: 60_000, args: ['-trace_err', '-error_file', join(errorsDir, errors)] });
    expect(run.failed, run.tail).toBe(0);
    expect(run.successful, run.tail).toBe(CALLS);
    expect(errorLog(errors), 'sipp error log').not.toMatch(/dead call|unexpected|discard/i);
    // One 200 per CANCEL and one 487 per INVITE reached sipp, whoever sent them.
    const count = (status: number, method: string): number => run.received.filter((m) => m.status === status && m.method === method).length;
    expect(count(200, 'CANCEL')).toBe(CALLS);
    expect(count(487, 'INVITE')).toBe(CALLS);
    // The app did answer each CANCEL itself (and it was absorbed).
    expect(ex.app.events().filter((e) => e.method === 'CANCEL' && e.invite === 487).length).toBeGreaterThanOrEqual(CALLS);
  }, 90_000);

  it.each([
    ['u1', 'nobodyKnowsThisScheme:totallyopaquecontent'],
    ['t1', 'soap.beep://127.0.0.1:3002'],
  ] as const)('over %s, OPTIONS %s gets 416 and never reaches the app', async (transport, ruri) => {
    const before = ex.app.events().length;
    const run = await ex.sipp('options-416', { service: 'bob', transport, args: ['-key', 'ruri', ruri] });
    expect(run.successful, run.tail).toBe(1);
    expect(run.received.map((m) => m.status)).toEqual([416]);
    expect(ex.app.events().slice(before)).toEqual([]);
  });
});
