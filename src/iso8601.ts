/**
 * ISO 8601 durations and instants as the control API takes them, strictly. Written here rather
 * than taken from npm: `iso8601-duration` drops a leading minus (a step back becomes a step
 * forward) and `tinyduration` accepts `PT-5M`, `P1DT` and trailing blanks; what a pipeline
 * mistypes should be refused, not guessed.
 */

const MS = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;

// P[nW][nD][T[nH][nM][n[.f]S]], a leading minus allowed (ISO 8601-2). Years and months have no
// fixed length, so they are refused with a hint rather than given one.
const DURATION =
  /^(-)?P(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9}(?:[.,]\d{1,3})?)S)?)?$/;

/** An error message for the control API's 400, naming what was wrong. */
export class Iso8601Error extends Error {}

/** The milliseconds of an ISO 8601 duration such as `PT5M`, `P1D`, `PT1.5S` or `-PT30S`. */
export function parseDuration(field: string, text: unknown): number {
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
  return minus ? -ms : ms;
}

/** An instant with a date, a time and an offset: 2026-06-01T12:00:00Z, 2026-06-01T14:00:00.5+02:00. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** The milliseconds since the epoch of an ISO 8601 instant; a date that does not exist is refused. */
export function parseInstant(field: string, text: unknown): number {
  const match = typeof text === 'string' ? INSTANT.exec(text) : null;
  if (!match) {
    throw new Iso8601Error(
      `${field} must be an ISO 8601 instant with a time zone, such as 2027-01-01T00:00:00Z; got ${JSON.stringify(text)}`,
    );
  }
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const calendar = new Date(Date.UTC(year!, month! - 1, day!));
  if (
    calendar.getUTCMonth() !== month! - 1 ||
    calendar.getUTCDate() !== day ||
    hour! > 23 ||
    minute! > 59 ||
    (second ?? 0) > 59
  ) {
    throw new Iso8601Error(`${field} names a date or time that does not exist: ${JSON.stringify(text)}`);
  }
  return Date.parse(text as string);
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
