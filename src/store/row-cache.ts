/** What a read that found no row is remembered as. */
const MISSING = Symbol('missing');

/**
 * Rows of some tables kept in memory by key, for the reads on every request's path (issue 19:
 * the host's and the token's tenant, the device, the token's revocation were four SQLite reads,
 * a sixth of a Bearer request). Its owner tells it of every write before the write runs, and it
 * forgets the whole table: a cached row can never outlive a change to its table, whatever key
 * the change touched. Kept rows are frozen, so a caller cannot change what the next one reads.
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
   * The row of `key` in `table`, from memory or from `load`. `keep` false reads through without
   * remembering: a row read inside a transaction may still be rolled back.
   */
  read<T extends object>(
    table: string,
    key: string,
    load: () => T | undefined,
    keep: boolean,
  ): T | undefined {
    const rows = this.#tables.get(table)!;
    const hit = rows.get(key);
    if (hit !== undefined) return hit === MISSING ? undefined : (hit as T);
    const row = load();
    if (keep) {
      if (rows.size >= this.#max) rows.clear();
      rows.set(key, row === undefined ? MISSING : frozen(row));
    }
    return row;
  }

  /** Before a write to `table` runs. */
  forget(table: string): void {
    this.#tables.get(table)?.clear();
    for (const reached of this.#cascades[table] ?? []) this.#tables.get(reached)!.clear();
  }

  /** Before a write whose tables are not known (several, or all). */
  forgetAll(): void {
    for (const rows of this.#tables.values()) rows.clear();
  }
}

/** A row, or a list of rows, that no caller can change. */
function frozen<T extends object>(row: T): T {
  if (Array.isArray(row)) for (const item of row) Object.freeze(item);
  return Object.freeze(row);
}

const WRITTEN_TABLE = /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)/i;

/** The table a single-table write names; undefined when the statement is of another form. */
export function writtenTable(sql: string): string | undefined {
  return WRITTEN_TABLE.exec(sql)?.[1]?.toLowerCase();
}
