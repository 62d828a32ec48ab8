import type { RunResult, Statement } from 'better-sqlite3';

/** What a read that found no row is remembered as. */
const MISSING = Symbol('missing');

/**
 * Rows of some tables kept in memory by key, for the reads on every request's path (issue 19:
 * the host's and the token's tenant, the device, the token's revocation were four SQLite reads,
 * a sixth of a Bearer request; a measurement's source a tenth of a stored measurement). Its
 * owners tell it of every write before the write runs, and it forgets the whole table: a cached
 * row can never outlive a change to its table, whatever key the change touched. They also tell
 * it of every rollback that undoes a write, which may undo what a read after it saw. Kept rows
 * are frozen down to their nested objects (bytes excepted), so a caller cannot change what the
 * next one reads.
 */
export class RowCache {
  readonly #tables: Map<string, Map<string, unknown>>;
  readonly #cascades: Readonly<Record<string, readonly string[]>>;
  readonly #max: number;

  /**
   * `cascades`: each cached table, with the cached tables a delete of its rows reaches (their
   * foreign keys' ON DELETE CASCADE), forgotten with it. `max`: rows kept per table; a table
   * that reaches it starts again empty.
   */
  constructor(cascades: Readonly<Record<string, readonly string[]>>, max: number) {
    this.#tables = new Map(Object.keys(cascades).map((table) => [table, new Map()]));
    this.#cascades = cascades;
    this.#max = max;
  }

  /**
   * The row of `key` in `table`, from memory or from `load`. `keep`, asked after `load`, can
   * leave a row out (one too large to hold 10,000 of).
   */
  read<T extends object>(
    table: string,
    key: string,
    load: () => T | undefined,
    keep?: () => boolean,
  ): T | undefined {
    const rows = this.#tables.get(table)!;
    const hit = rows.get(key);
    if (hit !== undefined) return hit === MISSING ? undefined : (hit as T);
    const row = load();
    if (keep && !keep()) return row;
    if (rows.size >= this.#max) rows.clear();
    rows.set(key, row === undefined ? MISSING : frozen(row));
    return row;
  }

  /** Before a write to `table` runs. */
  forget(table: string): void {
    this.#tables.get(table)?.clear();
    for (const reached of this.#cascades[table] ?? []) this.#tables.get(reached)!.clear();
  }

  /**
   * Before a write whose tables are not known (several, or all), and after a rollback, a write
   * that failed or a commit that failed: a row read inside the transaction may be gone.
   */
  forgetAll(): void {
    for (const rows of this.#tables.values()) rows.clear();
  }
}

/**
 * A row, or a list of rows, that no caller can change, down to the objects of a JSON column (a
 * managed object's fragments). Bytes are left as they are: a Buffer cannot be frozen.
 */
function frozen<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) {
    return value;
  }
  for (const item of Object.values(value)) frozen(item);
  return Object.freeze(value);
}

/**
 * Runs the write statements of a cache's owners: the cache forgets the table a statement names
 * before it runs, and everything when it fails (SQLite may then have rolled back the whole
 * transaction, and the caller may go on without it).
 */
export class CacheWrites {
  readonly #cache: RowCache;
  /** The table each write statement names (undefined: several, or unknown). */
  readonly #tables = new Map<string, string | undefined>();
  #count = 0;

  constructor(cache: RowCache) {
    this.#cache = cache;
  }

  /** How many write statements have run: a rollback undoes nothing if this has not moved. */
  get count(): number {
    return this.#count;
  }

  run(statement: Statement, sql: string, params: unknown[]): RunResult {
    this.#count++;
    let table = this.#tables.get(sql);
    if (table === undefined && !this.#tables.has(sql)) {
      table = writtenTable(sql);
      this.#tables.set(sql, table);
    }
    if (table === undefined) this.#cache.forgetAll();
    else this.#cache.forget(table);
    try {
      return statement.run(...params);
    } catch (error) {
      this.#cache.forgetAll();
      throw error;
    }
  }
}

const WRITTEN_TABLE = /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)/i;

/** The table a single-table write names; undefined when the statement is of another form. */
export function writtenTable(sql: string): string | undefined {
  return WRITTEN_TABLE.exec(sql)?.[1]?.toLowerCase();
}
