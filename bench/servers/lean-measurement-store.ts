/**
 * The store of the lean measurement bounds (`lean-measurement.ts`, `lean-mqtt-measurement.ts`):
 * the mock's measurements table and its two indexes, WAL with `synchronous = NORMAL` as the mock's
 * store, one managed object as the source, and the measurements of one turn of the event loop
 * inserted in one transaction before any is answered (the mock's group commit, without a
 * savepoint each). With `store` false nothing is written: the bound of the same server without
 * its store.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface LeanMeasurement {
  type: string;
  time: number;
  fragments: string;
  /** Called once the measurement is committed, with its id. */
  stored: (id: number) => void;
}

export function leanMeasurementStore(
  dataDir: string,
  store: boolean,
): (measurement: LeanMeasurement) => void {
  const db = new Database(join(dataDir, 'lean-measurements.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE managed_objects (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, fragments TEXT NOT NULL);
    CREATE TABLE measurements (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant_id TEXT NOT NULL,
      source_id INTEGER NOT NULL REFERENCES managed_objects(id) ON DELETE CASCADE,
      type TEXT NOT NULL,
      time INTEGER NOT NULL,
      fragments TEXT NOT NULL
    );
    CREATE INDEX measurements_by_source ON measurements(source_id, time);
    CREATE INDEX measurements_by_tenant ON measurements(tenant_id, time);
    INSERT INTO managed_objects (tenant_id, fragments) VALUES ('t1', '{}');
  `);
  const insert = db.prepare(
    'INSERT INTO measurements (tenant_id, source_id, type, time, fragments) VALUES (?, 1, ?, ?, ?)',
  );
  let nextId = 1;
  const write = db.transaction((group: LeanMeasurement[]) =>
    group.map((m) => Number(insert.run('t1', m.type, m.time, m.fragments).lastInsertRowid)),
  );
  let group: LeanMeasurement[] = [];
  const commit = () => {
    const committed = group;
    group = [];
    const ids = store ? write(committed) : committed.map(() => nextId++);
    for (const [i, m] of committed.entries()) m.stored(ids[i]!);
  };
  return (measurement) => {
    if (group.length === 0) setImmediate(commit);
    group.push(measurement);
  };
}
