import { type CsvError, parse } from 'csv-parse/sync';

/** One SmartREST message: its fields (trailing empty ones dropped) and the line as sent. */
export interface SmartRestLine {
  fields: string[];
  raw: string;
}

/** A line the CSV reader could not read (an open quote, a stray one), with why. */
export interface MalformedLine {
  raw: string;
  reason: string;
}

export interface SmartRestPayload {
  lines: SmartRestLine[];
  malformed: MalformedLine[];
}

/**
 * Reads a SmartREST payload: one message per line, CSV with `"` quotes and
 * `\"` inside them (the platform's escape, not CSV's `""`), blanks around
 * fields ignored, empty lines skipped. A line that cannot be read is reported
 * and the rest are still read (an unclosed quote swallows what follows it, as
 * it would on any CSV reader). `100,,` and `100` are the same message.
 */
export function parseSmartRest(payload: string): SmartRestPayload {
  const malformed: MalformedLine[] = [];
  const records = parse(payload, {
    escape: '\\',
    record_delimiter: ['\r\n', '\n'],
    trim: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      malformed.push({ raw: (raw ?? '').trim(), reason: error?.message ?? 'unreadable line' });
    },
    raw: true,
  }) as unknown as { record: string[]; raw: string }[];
  const lines = records.map(({ record, raw }) => {
    let end = record.length;
    while (end > 0 && record[end - 1] === '') end--;
    return { fields: record.slice(0, end), raw: raw.trim() };
  });
  return { lines, malformed };
}

const NEEDS_QUOTES = /[,"\r\n\t\\]|^\s|\s$/;

/** One SmartREST line from its fields, quoting a field when the format needs it. */
export function formatLine(fields: readonly (string | number)[]): string {
  return fields
    .map((field) => {
      const text = String(field);
      return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : text;
    })
    .join(',');
}
