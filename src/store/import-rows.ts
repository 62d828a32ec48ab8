import Database from 'better-sqlite3';
import { ImportRowError } from './store.js';

/** Inserts the rows of one table of an import; a row SQLite refuses is named by table and position. */
export function importRows<T>(table: string, rows: readonly T[], insert: (row: T) => void): void {
  for (const [index, row] of rows.entries()) {
    try {
      insert(row);
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CONSTRAINT')) {
        throw new ImportRowError(table, index, error.message);
      }
      throw error;
    }
  }
}
