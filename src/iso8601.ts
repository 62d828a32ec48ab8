/**
 * ISO 8601 durations and instants as the control API takes them, strictly. Written here rather
 * than taken from npm: `iso8601-duration` drops a leading minus (a step back becomes a step
 * forward) and `tinyduration` accepts `PT-5M`, `P1DT` and trailing blanks; what a pipeline
 * mistypes should be refused, not guessed.
 */

const MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;

// P[nW][nD][T[nH][nM][n[.f]S]], a leading minus allowed (ISO 8601-2). Years and months have no
// fixed length, so they are refused with a hint rather than given one.
const DURATION = /^(-)?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,3})?)S)?)?$/;

/** Ten thousand years: longer than the clock's whole range (1970 to 9999), so no use is cut short. */
export const MAX_DURATION_MS = 3_652_425 * MS.D;

/** An error message for the control API's 400, naming what was wrong. */
export class Iso8601Error extends Error {}

/**
 * The milliseconds of an ISO 8601 duration such as `PT5M`, `P1D`, `PT1.5S` or `-PT30S`; one
 * longer than `maxMs` either way is refused as too large.
 */
export function parseDuration(field: string, text: unknown, maxMs = MAX_DURATION_MS): number {
  if (typeof text !== 'string') {
    throw new Iso8601Error(
      `${field} must be an ISO 8601 duration such as PT5M or P1D; got ${JSON.stringify(text)}`,
    );
  }
  const match = DURATION.exec(text);
  if (!match || text.endsWith('T') || text === 'P' || text === '-P') {
    const hint = /^-?P(\d+Y|\d+M)/.test(text)
      ? ': years and months have no fixed length; give days (P30D) or weeks'
      : ' such as PT5M, PT1.5S, P1D or -PT30S';
    throw new Iso8601Error(`${field} must be an ISO 8601 duration${hint}; got ${JSON.stringify(text)}`);
  }
  const [, minus, w, d, h, m, s] = match;
  const ms =
    Number(w ?? 0) * MS.W +
    Number(d ?? 0) * MS.D +
    Number(h ?? 0) * MS.H +
    Number(m ?? 0) * MS.M +
    Math.round(Number((s ?? '0').replace(',', '.')) * MS.S);
  // Not a number test: NaN cannot come out of digits, but Infinity can.
  if (!(ms <= maxMs)) {
    const years = maxMs === MAX_DURATION_MS ? ' (10,000 years)' : '';
    throw new Iso8601Error(
      `${field} is too large: at most ${formatDuration(maxMs)}${years}; got ${JSON.stringify(text)}`,
    );
  }
  return minus ? -ms : ms;
}

/** An instant with a date, a time and an offset: 2026-06-01T12:00:00Z, 2026-06-01T14:00:00.5+02:00. */
const INSTANT =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.(?<fraction>\d{1,9}))?)?(?:Z|(?<sign>[+-])(?<offsetHours>\d{2}):(?<offsetMinutes>\d{2}))$/;

/**
 * The milliseconds since the epoch of an ISO 8601 instant; a date, a time or an offset that does
 * not exist is refused. Computed from its parts rather than by Date.parse, which answers NaN for
 * what it does not like (an offset of +25:00) instead of saying so.
 */
export function parseInstant(field: string, text: unknown): number {
  const parts = typeof text === 'string' ? INSTANT.exec(text)?.groups : undefined;
  if (!parts) {
    throw new Iso8601Error(
      `${field} must be an ISO 8601 instant with a time zone, such as 2027-01-01T00:00:00Z; got ${JSON.stringify(text)}`,
    );
  }
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = (
    ['year', 'month', 'day', 'hour', 'minute', 'second', 'offsetHours', 'offsetMinutes'] as const
  ).map((name) => Number(parts[name] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC, which takes the years 0 to 99 for 1900 to 1999.
  date.setUTCFullYear(year, month - 1, day);
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new Iso8601Error(`${field} names a date or time that does not exist: ${JSON.stringify(text)}`);
  }
  if (offsetHours > 23 || offsetMinutes > 59) {
    const offset = `${parts.sign}${parts.offsetHours}:${parts.offsetMinutes}`;
    throw new Iso8601Error(
      `${field} has a time zone offset that does not exist: ${JSON.stringify(offset)} (hours 00 to 23, minutes 00 to 59)`,
    );
  }
  // Milliseconds: a finer fraction is cut, as Date.parse cuts it.
  date.setUTCHours(hour, minute, second, Number((parts.fraction ?? '').slice(0, 3).padEnd(3, '0')));
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - (parts.sign === '-' ? -offsetMs : offsetMs);
}

/** A duration in ISO 8601 form, for answers and messages: PT90S, -PT1H, PT0S. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const days = Math.floor(rest / MS.D);
  rest -= days * MS.D;
  const hours = Math.floor(rest / MS.H);
  rest -= hours * MS.H;
  const minutes = Math.floor(rest / MS.M);
  rest -= minutes * MS.M;
  const seconds = rest / MS.S;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `${sign}P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}
