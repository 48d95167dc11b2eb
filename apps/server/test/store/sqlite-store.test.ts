import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/index.js';
import { storeContract } from './contract.js';
import { binding, NOW } from './fixtures.js';

storeContract('sqlite', {
  shared: true,
  persistent: true,
  setup: () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipts-store-'));
    const file = join(dir, 'location.sqlite');
    return Promise.resolve({
      open: () => Promise.resolve(createSqliteStore({ file })),
      dispose: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
});

describe('sqlite store file', () => {
  const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), 'sipts-store-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('uses WAL mode and records its schema version', () =>
    withDir(async (dir) => {
      const file = join(dir, 'l.sqlite');
      const store = createSqliteStore({ file });
      await store.update('sip:a@x', { put: [binding('sip:a@x', 'k')], remove: [] }, NOW);
      const db = new Database(file, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bindings'").pluck().all();
      expect(indexes).toEqual(expect.arrayContaining(['bindings_by_flow', 'bindings_by_expiry']));
      db.close();
      await store.close();
    }));

  it('refuses a file from a newer schema', () =>
    withDir((dir) => {
      const file = join(dir, 'l.sqlite');
      const db = new Database(file);
      db.pragma('user_version = 99');
      db.close();
      expect(() => createSqliteStore({ file })).toThrow(/schema version 99/);
      return Promise.resolve();
    }));

  it('rejects (does not throw) when the file is gone bad', () =>
    withDir(async (dir) => {
      const file = join(dir, 'l.sqlite');
      const store = createSqliteStore({ file });
      const db = new Database(file);
      db.exec('DROP TABLE bindings');
      db.close();
      await expect(store.lookup('sip:a@x', NOW)).rejects.toThrow(/location store: SQLite/);
      await store.close();
    }));
});
