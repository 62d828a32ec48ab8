import { BadRequest } from '../errors.js';
import type { CsvRow } from '../http/csv.js';
import { type CrlInput, normalizeSerialHex } from '../tenants/crl.js';

const RESOURCE = 'Device Certificates';
/** The platform's message for any date it cannot read (OpenAPI `unableToParseCRLEntries`). */
export const UNSUPPORTED_DATE = "Unsupported date time format, supported format:yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";
/** At most this many entries per uploaded file (platform documentation). */
export const MAX_FILE_ENTRIES = 5000;
/** RFC 5280 limits serial numbers to 20 octets. */
const MAX_SERIAL_HEX_DIGITS = 40;
const DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;

/** A serial number in hex (any case, optional 0x, leading zeros), in its stored form. */
export function parseSerialHex(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new BadRequest(
      RESOURCE,
      `${where}: serialNumberInHex is required and must be a hexadecimal string.`,
    );
  }
  const hex = normalizeSerialHex(value);
  if (!/^[0-9a-f]+$/.test(hex)) {
    throw new BadRequest(
      RESOURCE,
      `${where}: serial number ${JSON.stringify(value.slice(0, 60))} is not hexadecimal.`,
    );
  }
  if (hex.length > MAX_SERIAL_HEX_DIGITS) {
    throw new BadRequest(
      RESOURCE,
      `${where}: serial number has ${hex.length} hex digits; a certificate serial has at most ${MAX_SERIAL_HEX_DIGITS}.`,
    );
  }
  return hex;
}

/** `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` exactly, and a real date; absent or empty is undefined. */
export function parseRevocationDate(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  const ms = match ? Date.parse(value as string) : Number.NaN;
  // Date.parse rolls 2023-02-30 over to March; a date that does not print back is not a date.
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString() !== value) {
    throw new BadRequest(RESOURCE, UNSUPPORTED_DATE, {
      reason: `${where}: revocationDate ${JSON.stringify(value)} is not yyyy-MM-ddTHH:mm:ss.SSSZ`,
    });
  }
  return ms;
}

/** `{"crls":[{"serialNumberInHex","revocationDate"}]}` */
export function parseCrlPayload(body: unknown): CrlInput[] {
  const crls = typeof body === 'object' && body !== null ? (body as { crls?: unknown }).crls : undefined;
  if (!Array.isArray(crls)) {
    throw new BadRequest(
      RESOURCE,
      'Send {"crls":[{"serialNumberInHex":"…","revocationDate":"…"}]} as JSON, or a CSV file in the multipart field "file".',
    );
  }
  return crls.map((entry, i) => {
    const where = `crls[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new BadRequest(RESOURCE, `${where} must be an object with serialNumberInHex and revocationDate.`);
    }
    const { serialNumberInHex, revocationDate } = entry as Record<string, unknown>;
    return {
      serialHex: parseSerialHex(serialNumberInHex, where),
      revocationDate: parseRevocationDate(revocationDate, where),
    };
  });
}

/**
 * A CSV file of `SERIALNO,DATE` rows; a first row whose serial is not hex is
 * the header line. The date column may be empty or absent.
 */
export function parseCrlCsv(rows: CsvRow[]): CrlInput[] {
  const first = rows[0];
  const data = first && !/^(0x)?[0-9a-f]+$/i.test(first.cells[0] ?? '') ? rows.slice(1) : rows;
  if (data.length === 0)
    throw new BadRequest(RESOURCE, 'The CRL file holds no entries (expected SERIALNO,DATE rows).');
  if (data.length > MAX_FILE_ENTRIES) {
    throw new BadRequest(
      RESOURCE,
      `The CRL file holds ${data.length} entries; at most ${MAX_FILE_ENTRIES} are allowed per file (upload several files).`,
    );
  }
  return data.map((row) => {
    const where = `line ${row.line}`;
    if (row.cells.length > 2) {
      throw new BadRequest(
        RESOURCE,
        `${where}: expected SERIALNO,DATE but found ${row.cells.length} columns.`,
      );
    }
    return {
      serialHex: parseSerialHex(row.cells[0], where),
      revocationDate: parseRevocationDate(row.cells[1], where),
    };
  });
}
