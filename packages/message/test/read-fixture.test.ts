import { describe, expect, it } from 'vitest';
import { readFixture } from './read-fixture.js';

interface ManifestEntry {
  file: string;
  sha256: string;
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('readFixture', () => {
  it('returns the exact bytes of a fixture (SHA-256 matches the manifest)', async () => {
    const manifestBytes = await readFixture('torture/manifest.json');
    const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ManifestEntry[];
    const entry = manifest.find((e) => e.file === 'rfc4475/mpart01.sip');
    expect(entry).toBeDefined();

    const bytes = await readFixture('torture/rfc4475/mpart01.sip');
    expect(bytes).toBeInstanceOf(Uint8Array);
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    expect(hex(digest)).toBe(entry?.sha256);
  });

  it('rejects a fixture that does not exist', async () => {
    await expect(readFixture('torture/no-such-file.sip')).rejects.toThrow();
  });
});
