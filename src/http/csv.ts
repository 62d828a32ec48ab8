import { CsvError, parse } from 'csv-parse/sync';
import { BadRequest } from '../errors.js';

export interface CsvRow {
  cells: string[];
  /** The row as it was in the file, for messages about it. */
  raw: string;
  /** 1-based line number in the file. */
  line: number;
}

/**
 * Parses an uploaded CSV file. The separator is the first of `delimiters`
 * that the first line uses most (the platform detects it the same way for
 * bulk registration); cells are trimmed, empty lines skipped, a BOM dropped.
 */
export function readCsv(content: Buffer, resource: string, delimiters: readonly string[] = [',']): CsvRow[] {
  const text = content.toString('utf8');
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const count = (d: string) => firstLine.split(d).length - 1;
  const delimiter = delimiters.reduce((best, d) => (count(d) > count(best) ? d : best), delimiters[0] ?? ',');
  try {
    const records = parse(text, {
      bom: true,
      delimiter,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      raw: true,
      info: true,
    }) as unknown as { record: string[]; raw: string; info: { lines: number } }[];
    return records.map(({ record, raw, info }) => ({ cells: record, raw: raw.trim(), line: info.lines }));
  } catch (error) {
    if (error instanceof CsvError) {
      throw new BadRequest(resource, `The CSV file could not be read: ${error.message}`);
    }
    throw error;
  }
}
