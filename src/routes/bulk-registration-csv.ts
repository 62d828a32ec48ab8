import { UnprocessableEntity } from '../errors.js';
import type { CsvRow } from '../http/csv.js';
import type { BulkRegistrationRow } from '../tenants/bulk-registration.js';

const ERROR = 'devicecontrol/Unprocessable Entity';

/**
 * The platform's bulk registration CSV: the first line names the columns (`ID`
 * required, `AUTH_TYPE` and `CREDENTIALS` read), every further line is a
 * device. Other columns (TYPE, NAME, PATH, custom properties) describe the
 * device's inventory, which the mock does not keep.
 */
export function readBulkRegistration(rows: CsvRow[]): BulkRegistrationRow[] {
  const [header, ...data] = rows;
  if (!header)
    throw new UnprocessableEntity(
      ERROR,
      'The CSV file is empty; its first line must name the columns (ID;AUTH_TYPE;…).',
    );
  const columns = header.cells.map((name) => name.trim());
  const column = (name: string) => columns.indexOf(name);
  const [id, authType, credentials] = [column('ID'), column('AUTH_TYPE'), column('CREDENTIALS')];
  if (id < 0) {
    throw new UnprocessableEntity(
      ERROR,
      `The first line of the CSV file must name the columns and include ID; found ${columns.map((c) => JSON.stringify(c)).join(', ')}.`,
    );
  }
  if (data.length === 0)
    throw new UnprocessableEntity(ERROR, 'The CSV file has column names but no device rows.');
  const cell = (row: CsvRow, index: number) => (index < 0 ? '' : (row.cells[index] ?? ''));
  return data.map((row) => ({
    line: row.line,
    raw: row.raw,
    deviceId: row.cells[id] ?? '',
    authType: cell(row, authType),
    credentials: cell(row, credentials),
    formProblem:
      row.cells.length === columns.length
        ? undefined
        : `the line has ${row.cells.length} values but the first line names ${columns.length} columns.`,
  }));
}
