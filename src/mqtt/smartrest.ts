import { CsvError, type Options, parse } from 'csv-parse/sync';

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

const OPTIONS: Options = {
  escape: '\\',
  record_delimiter: ['\r\n', '\n'],
  trim: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  raw: true,
};

const read = (text: string): SmartRestLine[] =>
  (parse(text, OPTIONS) as unknown as { record: string[]; raw: string }[]).map(({ record, raw }) => {
    let end = record.length;
    while (end > 0 && record[end - 1] === '') end--;
    return { fields: record.slice(0, end), raw: raw.trim() };
  });

/**
 * Reads a SmartREST payload: one message per line, CSV with `"` quotes and
 * `\"` inside them (the platform's escape, not CSV's `""`), blanks around
 * fields ignored, empty lines skipped; `100,,` and `100` are the same message.
 * When the payload cannot be read as a whole, each line is read on its own:
 * an unreadable line is reported with why, and the others still count.
 */
export function parseSmartRest(payload: string): SmartRestPayload {
  try {
    return { lines: read(payload), malformed: [] };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
  }
  const lines: SmartRestLine[] = [];
  const malformed: MalformedLine[] = [];
  for (const line of payload.split(/\r?\n/)) {
    try {
      lines.push(...read(line));
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      // The reader counts lines of this one line: its "at line 1" would mislead.
      malformed.push({ raw: line.trim(), reason: error.message.replace(/ at line \d+$/, '') });
    }
  }
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
