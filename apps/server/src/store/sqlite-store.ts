import Database from 'better-sqlite3';
import { assertSameAor, compareBindings, isLive } from './binding-order.js';
import { fromRow, migrate, toRow, type BindingRow } from './sqlite-schema.js';
import type { Binding, LocationStore } from './types.js';

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file (created with its schema if absent), or `:memory:`. */
  file: string;
  /** How long a write waits for another connection's lock before it fails. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * A location store in one SQLite file (better-sqlite3, WAL mode): the store of a single server
 * instance. Registrations survive restarts; several processes may open the same file (WAL lets
 * readers run beside the one writer). `update` runs in one immediate transaction.
 * @throws Error when the file cannot be opened or has a newer schema
 * @example
 * const store = createSqliteStore({ file: './data/location.sqlite' });
 * @see RFC 3261 §10.3 (the location service)
 */
export function createSqliteStore(options: SqliteStoreOptions): LocationStore {
  const db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, options.file);
  } catch (e) {
    db.close();
    throw e;
  }

  const selectAor = db.prepare<[string, number], BindingRow>('SELECT * FROM bindings WHERE aor = ? AND expires_at > ?');
  const upsert = db.prepare<[BindingRow]>(
    `INSERT INTO bindings (aor, key, contact, q, expires_at, call_id, cseq, instance_id, reg_id, path, flow, flow_id,
       owner, source, contact_params)
     VALUES (@aor, @key, @contact, @q, @expires_at, @call_id, @cseq, @instance_id, @reg_id, @path, @flow, @flow_id,
       @owner, @source, @contact_params)
     ON CONFLICT (aor, key) DO UPDATE SET contact = excluded.contact, q = excluded.q, expires_at = excluded.expires_at,
       call_id = excluded.call_id, cseq = excluded.cseq, instance_id = excluded.instance_id, reg_id = excluded.reg_id,
       path = excluded.path, flow = excluded.flow, flow_id = excluded.flow_id, owner = excluded.owner,
       source = excluded.source, contact_params = excluded.contact_params`,
  );
  const deleteKey = db.prepare<[string, string]>('DELETE FROM bindings WHERE aor = ? AND key = ?');
  const deleteAor = db.prepare<[string]>('DELETE FROM bindings WHERE aor = ?');
  const deleteFlow = db.prepare<[string, string]>('DELETE FROM bindings WHERE owner = ? AND flow_id = ?');
  const deleteExpired = db.prepare<[number]>('DELETE FROM bindings WHERE expires_at <= ?');
  const countLive = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM bindings WHERE expires_at > ?');

  const lookup = (aor: string, now: number): Binding[] => selectAor.all(aor, now).map(fromRow).sort(compareBindings);

  const update = db.transaction((aor: string, change: { put: Binding[]; remove: string[] }, now: number) => {
    for (const key of change.remove) deleteKey.run(aor, key);
    for (const b of change.put) {
      if (isLive(b, now)) upsert.run(toRow(b));
      else deleteKey.run(aor, b.key);
    }
    return lookup(aor, now);
  });

  /** Runs a synchronous step as a promise: a thrown error (closed, busy, full disk) becomes a rejection. */
  const run = <T>(step: () => T): Promise<T> => {
    try {
      return Promise.resolve(step());
    } catch (e) {
      return Promise.reject(wrap(e, options.file));
    }
  };

  return {
    lookup: (aor, now) => run(() => lookup(aor, now)),
    update: (aor, change, now) =>
      run(() => {
        assertSameAor(aor, change.put);
        return update.immediate(aor, change, now);
      }),
    removeAll: (aor) =>
      run(() => {
        deleteAor.run(aor);
      }),
    removeFlow: (owner, flowId) => run(() => deleteFlow.run(owner, flowId).changes),
    purgeExpired: (now) => run(() => deleteExpired.run(now).changes),
    count: (now) => run(() => countLive.get(now)?.n ?? 0),
    close: () =>
      run(() => {
        if (db.open) db.close();
      }),
  };
}

function wrap(e: unknown, file: string): Error {
  if (e instanceof Error && e.message.startsWith('location store:')) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new Error(`location store: SQLite ${file}: ${message}`, { cause: e });
}
