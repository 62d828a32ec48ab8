import { UnprocessableEntity } from '../errors.js';
import type { CsvRow } from '../http/csv.js';
import type { BulkRegistrationRow } from '../tenants/bulk-registration.js';

const ERROR = 'devicecontrol/Unprocessable Entity';

/**
 * The platform's bulk registration CSV: the first line names the columns (`ID`
 * required; `AUTH_TYPE`, `CREDENTIALS`, and for the device's managed object
 * `NAME`, `TYPE` and `IDTYPE` read), every further line is a device. Other
 * columns (PATH, custom properties) are ignored.
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
  // An empty or absent cell leaves the managed object's value to its default.
  const optional = (row: CsvRow, name: string) => cell(row, column(name)).trim() || undefined;
  return data.map((row) => ({
    line: row.line,
    raw: row.raw,
    deviceId: row.cells[id] ?? '',
    authType: cell(row, authType),
    credentials: cell(row, credentials),
    name: optional(row, 'NAME'),
    type: optional(row, 'TYPE'),
    idType: optional(row, 'IDTYPE'),
    formProblem:
      row.cells.length === columns.length
        ? undefined
        : `the line has ${row.cells.length} values but the first line names ${columns.length} columns.`,
  }));
}
