import { CliError } from './cli-error.js';

export interface ValidityOptions {
  days?: number;
  notBefore?: string;
  notAfter?: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A little slack for devices whose clock is behind. */
const DEFAULT_BACKDATE = HOUR;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The validity of a new certificate: from --not-before (default an hour ago)
 * to --not-after (default --days after --not-before, or after now). Dates in
 * the past or the future are allowed on purpose: expired and not-yet-valid
 * certificates are what negative tests need.
 */
export function resolveValidity(
  options: ValidityOptions,
  defaultDays: number,
  now: number,
): { notBefore: Date; notAfter: Date } {
  if (options.days !== undefined && options.notAfter !== undefined) {
    throw new CliError('give --days or --not-after, not both');
  }
  const days = options.days ?? defaultDays;
  if (days < 1) throw new CliError('--days must be at least 1');
  const explicitStart =
    options.notBefore === undefined ? undefined : parseDate(options.notBefore, '--not-before');
  const notBefore = explicitStart ?? now - DEFAULT_BACKDATE;
  const notAfter =
    options.notAfter === undefined
      ? (explicitStart ?? now) + days * DAY
      : parseDate(options.notAfter, '--not-after');
  if (notAfter <= notBefore) {
    throw new CliError(
      `bad dates: the certificate would end (${iso(notAfter)}) before it starts (${iso(notBefore)})`,
    );
  }
  if (new Date(notAfter).getUTCFullYear() > 9999)
    throw new CliError('bad dates: validity beyond the year 9999');
  // X.509 times have whole seconds.
  return { notBefore: new Date(seconds(notBefore)), notAfter: new Date(seconds(notAfter)) };
}

/** ISO 8601: a date (midnight UTC) or a date and time, UTC unless an offset is given. */
export function parseDate(value: string, flag: string): number {
  const match = ISO.exec(value.trim());
  const hint = 'use ISO 8601, e.g. 2030-01-31 or 2030-01-31T12:00:00Z';
  if (!match) throw new CliError(`bad date '${value}' for ${flag}: ${hint}`);
  const [, year, month, day, , , , zone] = match;
  const text =
    match[4] === undefined ? `${value.trim()}T00:00:00Z` : zone ? value.trim() : `${value.trim()}Z`;
  const ms = Date.parse(text);
  const check = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (
    Number.isNaN(ms) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    check.getUTCFullYear() !== Number(year)
  ) {
    throw new CliError(`bad date '${value}' for ${flag}: no such date; ${hint}`);
  }
  const y = new Date(ms).getUTCFullYear();
  if (y < 1950 || y > 9999)
    throw new CliError(`bad date '${value}' for ${flag}: X.509 dates run from 1950 to 9999`);
  return ms;
}

const seconds = (ms: number) => Math.floor(ms / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
