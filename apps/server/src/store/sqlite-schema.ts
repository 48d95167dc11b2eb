import type Database from 'better-sqlite3';
import type { Binding, FlowRef } from './types.js';

/** The schema version this code writes, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS bindings (
  aor TEXT NOT NULL,
  key TEXT NOT NULL,
  contact TEXT NOT NULL,
  q REAL NOT NULL,
  expires_at INTEGER NOT NULL,
  call_id TEXT NOT NULL,
  cseq INTEGER NOT NULL,
  instance_id TEXT,
  reg_id INTEGER,
  path TEXT NOT NULL,          -- JSON array of strings
  flow TEXT,                   -- JSON FlowRef
  flow_id TEXT,                -- flow.id, indexed with owner for removeFlow
  owner TEXT NOT NULL,
  source TEXT NOT NULL,
  contact_params TEXT,         -- JSON object
  PRIMARY KEY (aor, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bindings_by_flow ON bindings (owner, flow_id) WHERE flow_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS bindings_by_expiry ON bindings (expires_at);
`;

/**
 * Creates the schema if the file is new; refuses a file written by a newer schema.
 * @throws Error when the file's `user_version` is newer than {@link SCHEMA_VERSION}
 */
export function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`location store: ${file} has schema version ${version}, this server knows ${SCHEMA_VERSION}`);
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA_V1);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** One row of `bindings`, as better-sqlite3 returns it. */
export interface BindingRow {
  aor: string;
  key: string;
  contact: string;
  q: number;
  expires_at: number;
  call_id: string;
  cseq: number;
  instance_id: string | null;
  reg_id: number | null;
  path: string;
  flow: string | null;
  flow_id: string | null;
  owner: string;
  source: string;
  contact_params: string | null;
}

/** The row that stores a binding. */
export function toRow(b: Binding): BindingRow {
  return {
    aor: b.aor,
    key: b.key,
    contact: b.contact,
    q: b.q,
    expires_at: b.expiresAt,
    call_id: b.callId,
    cseq: b.cseq,
    instance_id: b.instanceId ?? null,
    reg_id: b.regId ?? null,
    path: JSON.stringify(b.path),
    flow: b.flow === undefined ? null : JSON.stringify(b.flow),
    flow_id: b.flow?.id ?? null,
    owner: b.owner,
    source: b.source,
    contact_params: b.contactParams === undefined ? null : JSON.stringify(b.contactParams),
  };
}

/** The binding a row stores; absent optional fields stay absent. */
export function fromRow(r: BindingRow): Binding {
  const b: Binding = {
    aor: r.aor,
    key: r.key,
    contact: r.contact,
    q: r.q,
    expiresAt: r.expires_at,
    callId: r.call_id,
    cseq: r.cseq,
    path: JSON.parse(r.path) as string[],
    owner: r.owner,
    source: r.source,
  };
  if (r.instance_id !== null) b.instanceId = r.instance_id;
  if (r.reg_id !== null) b.regId = r.reg_id;
  if (r.flow !== null) b.flow = JSON.parse(r.flow) as FlowRef;
  if (r.contact_params !== null) b.contactParams = JSON.parse(r.contact_params) as Record<string, string | null>;
  return b;
}
