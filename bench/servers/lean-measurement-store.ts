/**
 * The store of the lean measurement bounds (`lean-measurement.ts`, `lean-mqtt-measurement.ts`):
 * the mock's own schema (its migrations: the measurements table and its two indexes), WAL with
 * `synchronous = NORMAL` as the mock's store, a managed object for each device that sends (its
 * measurements' source: the bench's (m) has 16 devices, and their rows go to 16 places of the
 * index by source, which costs a sixth more a message than one source), and the measurements of
 * one turn of the event loop inserted in one transaction before any is answered (the mock's group
 * commit, without a savepoint each). With `store` false nothing is written: the bound of the same
 * server without its store. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/migrations.js';

export interface LeanMeasurement {
  /** Who sent it (a device's client ID, say): its managed object is the measurement's source. */
  device: string;
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
  for (const migration of MIGRATIONS) db.exec(migration);
  db.exec(`INSERT INTO tenants (id, domain, created_at) VALUES ('t1', 't1.localhost', 0)`);
  const insertObject = db.prepare(
    `INSERT INTO managed_objects (tenant_id, owner, creation_time, last_updated, fragments)
     VALUES ('t1', ?, 0, 0, '{}')`,
  );
  const sources = new Map<string, number>();
  const sourceOf = (device: string) => {
    let id = sources.get(device);
    if (id === undefined) {
      id = Number(insertObject.run(`device_${device}`).lastInsertRowid);
      sources.set(device, id);
    }
    return id;
  };
  const insert = db.prepare(
    'INSERT INTO measurements (tenant_id, source_id, type, time, fragments) VALUES (?, ?, ?, ?, ?)',
  );
  let nextId = 1;
  const write = db.transaction((group: LeanMeasurement[]) =>
    group.map((m) =>
      Number(insert.run('t1', sourceOf(m.device), m.type, m.time, m.fragments).lastInsertRowid),
    ),
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
