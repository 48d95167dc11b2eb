import type { Binding } from './types.js';

/**
 * A binding read back from a shared store (stored as `JSON.stringify(binding)`), or undefined
 * when the text is not JSON or lacks a field every binding has. Another process (or a person with
 * redis-cli) may have written it, so its shape is checked, not assumed.
 */
export function parseStoredBinding(json: string): Binding | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const b = v as Record<string, unknown>;
  const strings = ['aor', 'key', 'contact', 'callId', 'owner', 'source'] as const;
  if (!strings.every((k) => typeof b[k] === 'string')) return undefined;
  if (typeof b.q !== 'number' || typeof b.expiresAt !== 'number' || typeof b.cseq !== 'number') return undefined;
  if (!Array.isArray(b.path) || !b.path.every((p) => typeof p === 'string')) return undefined;
  if (b.flow !== undefined && (typeof b.flow !== 'object' || b.flow === null)) return undefined;
  return v as Binding;
}
