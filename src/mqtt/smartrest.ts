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

const BASE: Options = {
  record_delimiter: ['\r\n', '\n'],
  trim: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  raw: true,
};
/** The platform's documented escape inside quotes: `\"`. */
const BACKSLASH: Options = { ...BASE, escape: '\\' };
/** CSV's own `""`, which thin-edge writes (csv crate) and the platform accepts. */
const DOUBLED: Options = { ...BASE, escape: '"' };

const read = (text: string, options: Options): SmartRestLine[] =>
  (parse(text, options) as unknown as { record: string[]; raw: string }[]).map(({ record, raw }) => {
    let end = record.length;
    while (end > 0 && record[end - 1] === '') end--;
    return { fields: record.slice(0, end), raw: raw.trim() };
  });

/** With `\"` escapes, else with `""` ones; throws the first reading's error when neither reads. */
function readEither(text: string): SmartRestLine[] {
  try {
    return read(text, BACKSLASH);
  } catch (first) {
    if (!(first instanceof CsvError)) throw first;
    try {
      return read(text, DOUBLED);
    } catch {
      throw first;
    }
  }
}

/**
 * Reads a SmartREST payload: one message per line, CSV with `"` quotes,
 * inside them `\"` (the platform's escape) or `""` (CSV's, as thin-edge
 * writes), blanks around fields ignored, empty lines skipped; `100,,` and
 * `100` are the same message. When the payload cannot be read as a whole,
 * each line is read on its own: an unreadable line is reported with why, and
 * the others still count.
 */
export function parseSmartRest(payload: string): SmartRestPayload {
  // Most messages quote nothing: then CSV is commas and line breaks, read here without a
  // parser per message (csv-parse's set-up was a fifth of a measurement's cost); the same
  // reading as csv-parse's with these options (test/mqtt/smartrest.test.ts compares them).
  if (!payload.includes('"')) return { lines: unquoted(payload), malformed: [] };
  try {
    return { lines: readEither(payload), malformed: [] };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
  }
  const lines: SmartRestLine[] = [];
  const malformed: MalformedLine[] = [];
  for (const line of payload.split(/\r?\n/)) {
    try {
      lines.push(...readEither(line));
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      // The reader counts lines of this one line: its "at line 1" would mislead.
      malformed.push({ raw: line.trim(), reason: error.message.replace(/ at line \d+$/, '') });
    }
  }
  return { lines, malformed };
}

/** Lines without quotes: fields split at commas, blanks around them dropped, trailing empty fields too. */
function unquoted(payload: string): SmartRestLine[] {
  const lines: SmartRestLine[] = [];
  // Most messages are one line: no split with a pattern for them.
  for (const line of payload.includes('\n') ? payload.split(/\r?\n/) : [payload]) {
    const fields = line.split(',');
    for (let i = 0; i < fields.length; i++) fields[i] = fields[i]!.trim();
    if (fields.length === 1 && fields[0] === '') continue;
    let end = fields.length;
    while (end > 0 && fields[end - 1] === '') end--;
    fields.length = end;
    lines.push({ fields, raw: line.trim() });
  }
  return lines;
}

/** The same as parseSmartRest, always through csv-parse (for the comparison in the tests). */
export function parseSmartRestWithCsv(payload: string): SmartRestPayload {
  return { lines: readEither(payload), malformed: [] };
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
