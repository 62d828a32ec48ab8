/**
 * The store of the lean measurement bounds (`lean-measurement.ts`, `lean-mqtt-measurement.ts`):
 * the mock's own schema (its migrations: the measurements table and its two indexes), WAL with
 * `synchronous = NORMAL` as the mock's store, a managed object for each device that sends (its
 * measurements' source: the bench's (m) has 16 devices, and their rows go to 16 places of the
 * index by source, which costs a sixth more a message than one source), and the measurements of
 * one turn of the event loop inserted in one transaction before any is answered (the mock's group
 * commit, without a savepoint each). With `store` false nothing is written: the bound of the same
 * server without its store. With `writerThread` a worker thread on a connection of its own
 * (`lean-measurement-writer.ts`) inserts the groups, one at a time (what comes while it commits one
 * goes with the next), and each measurement is answered once its group is committed: the bound of
 * a server that takes its durable writes off the main thread. */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
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

/** A measurement as the writer thread gets it: no callback crosses to another thread. */
export type Row = [device: string, type: string, time: number, fragments: string];

/**
 * Opens (with `create`, makes) the lean database. `insertGroup` stores measurements, and
 * `insertRows` rows, each call in one transaction, and returns their ids. Two, so that the
 * in-place bound stores measurements as it did when the earlier rounds measured it, without
 * making a row of each.
 */
export function openLeanDatabase(file: string, create: boolean) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (create) {
    for (const migration of MIGRATIONS) db.exec(migration);
    db.exec(`INSERT INTO tenants (id, domain, created_at) VALUES ('t1', 't1.localhost', 0)`);
  }
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
  const insertOne = (device: string, type: string, time: number, fragments: string) =>
    Number(insert.run('t1', sourceOf(device), type, time, fragments).lastInsertRowid);
  const insertGroup = db.transaction((group: LeanMeasurement[]) =>
    group.map((m) => insertOne(m.device, m.type, m.time, m.fragments)),
  );
  const insertRows = db.transaction((rows: Row[]) =>
    rows.map(([device, type, time, fragments]) => insertOne(device, type, time, fragments)),
  );
  return { insertGroup, insertRows };
}

export function leanMeasurementStore(
  dataDir: string,
  store: boolean,
  writerThread = false,
): (measurement: LeanMeasurement) => void {
  const file = join(dataDir, 'lean-measurements.db');
  const { insertGroup } = openLeanDatabase(file, true);
  let nextId = 1;
  let write: (group: LeanMeasurement[]) => void = (group) => {
    const ids = store ? insertGroup(group) : group.map(() => nextId++);
    for (const [i, m] of group.entries()) m.stored(ids[i]!);
  };
  if (store && writerThread) {
    // On Node 20 the hooks that `--import tsx` registers do not reach a worker, so it registers
    // them itself before it loads the TypeScript (tsx resolved here, whatever the worker's cwd).
    const writer = new URL('./lean-measurement-writer.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const worker = new Worker(
      `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(writer)}); })`,
      { eval: true, workerData: { file } },
    );
    // One group in flight: what arrives while the thread commits it waits, and goes as the next
    // group once the thread answers (fewer, larger groups: fewer messages and commits).
    let inFlight: LeanMeasurement[] | undefined;
    let next: LeanMeasurement[] = [];
    const send = (group: LeanMeasurement[]) => {
      inFlight = group;
      worker.postMessage(group.map((m): Row => [m.device, m.type, m.time, m.fragments]));
    };
    worker.on('message', (ids: number[]) => {
      const group = inFlight!;
      inFlight = undefined;
      if (next.length > 0) {
        send(next);
        next = [];
      }
      for (const [i, m] of group.entries()) m.stored(ids[i]!);
    });
    write = (group) => {
      if (inFlight === undefined) send(group);
      else next.push(...group);
    };
  }
  let group: LeanMeasurement[] = [];
  const commit = () => {
    const committed = group;
    group = [];
    write(committed);
  };
  return (measurement) => {
    if (group.length === 0) setImmediate(commit);
    group.push(measurement);
  };
}
