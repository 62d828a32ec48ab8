/**
 * Date-times as the APIs take them: ISO 8601 with a zone (`Z` or `±hh:mm`),
 * seconds and fractions optional. The platform writes every time back in UTC
 * with milliseconds (`2026-06-01T12:00:00.000Z`).
 */
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Milliseconds since the epoch, or undefined when `text` is no ISO 8601 date-time with a zone. */
export function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, date, hoursMinutes, seconds = '00', fraction = '', zone = 'Z'] = match;
  const offset = /^[zZ]$/.test(zone)
    ? 'Z'
    : zone.length === 3
      ? `${zone}:00`
      : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${date}T${hoursMinutes}:${seconds}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
  return Number.isNaN(ms) || !sameDay(date!, ms, offset) ? undefined : ms;
}

/** Query parameters also take a bare date (`2020-03-01`): midnight UTC. */
export function parseDateOrDateTime(text: string): number | undefined {
  if (DATE.test(text)) {
    const ms = Date.parse(`${text}T00:00:00.000Z`);
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
  }
  return parseDateTime(text);
}

/** Date.parse rolls 2026-02-30 over into March; a date that does not exist is refused instead. */
function sameDay(date: string, ms: number, offset: string): boolean {
  const shift = offset === 'Z' ? 0 : (offset.startsWith('-') ? -1 : 1) * minutes(offset.slice(1));
  return new Date(ms + shift * 60_000).toISOString().slice(0, 10) === date;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
