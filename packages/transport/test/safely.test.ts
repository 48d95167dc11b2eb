import { describe, expect, it } from 'vitest';
import { safely, type Logger } from '../src/index.js';

function recordingLogger(): Logger & { lines: { msg: string; attrs: Record<string, unknown> | undefined }[] } {
  const lines: { msg: string; attrs: Record<string, unknown> | undefined }[] = [];
  const error = (msg: string, attrs?: Record<string, unknown>): void => {
    lines.push({ msg, attrs });
  };
  const ignore = (): void => undefined;
  return { lines, debug: ignore, info: ignore, warn: ignore, error };
}

describe('safely', () => {
  it('returns what the callback returns and logs nothing when it does not throw', () => {
    const logger = recordingLogger();
    expect(safely(logger, 'onOpen', () => 42)).toBe(42);
    expect(logger.lines).toEqual([]);
  });

  it('logs `<what> threw` with the error and returns undefined when the callback throws', () => {
    const logger = recordingLogger();
    const boom = new Error('boom');
    const got = safely(logger, 'onRequest', (): number => {
      throw boom;
    });
    expect(got).toBeUndefined();
    expect(logger.lines).toEqual([{ msg: 'onRequest threw', attrs: { error: boom } }]);
  });

  it('passes two arguments to a callback made once, and logs its throw the same way', () => {
    const logger = recordingLogger();
    const add = (a: number, b: number): number => {
      if (a < 0) throw new RangeError('negative');
      return a + b;
    };
    expect(safely(logger, 'add', add, 2, 3)).toBe(5);
    expect(safely(logger, 'add', add, -1, 3)).toBeUndefined();
    expect(logger.lines.map((l) => l.msg)).toEqual(['add threw']);
  });

  it('adds the call site’s attributes to the log line', () => {
    const logger = recordingLogger();
    safely(logger, { what: 'onFrame', attrs: { flowId: 'f1' } }, () => {
      throw new TypeError('bad');
    });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.msg).toBe('onFrame threw');
    expect(logger.lines[0]?.attrs).toMatchObject({ flowId: 'f1', error: expect.any(TypeError) });
  });

  it('logs a thrown non-Error value as it was thrown', () => {
    const logger = recordingLogger();
    safely(logger, 'onClose', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a user callback may throw anything
      throw 'text';
    });
    expect(logger.lines).toEqual([{ msg: 'onClose threw', attrs: { error: 'text' } }]);
  });

  it('builds a lazy call site only when the callback throws', () => {
    const logger = recordingLogger();
    let built = 0;
    const site = () => {
      built++;
      return { what: 'the client user’s onTimeout', attrs: { branch: 'z9hG4bK-1' } };
    };
    safely(logger, site, () => undefined);
    expect(built).toBe(0);
    safely(logger, site, () => {
      throw new Error('late');
    });
    expect(built).toBe(1);
    expect(logger.lines[0]?.msg).toBe('the client user’s onTimeout threw');
    expect(logger.lines[0]?.attrs).toMatchObject({ branch: 'z9hG4bK-1' });
  });
});
