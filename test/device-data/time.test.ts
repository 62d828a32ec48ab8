import t from 'tap';
import { parseDateOrDateTime, parseDateTime } from '../../src/device-data/time.js';

/*
 * The device data APIs' date-times: ISO 8601 with a zone. Date.parse would roll a day or an hour
 * that does not exist into the next; these are refused, and the ones around them taken.
 */
t.test('a date-time that exists is its instant, whatever its zone and precision', async (t) => {
  const cases: [string, string][] = [
    ['2026-06-01T12:00:00.000Z', '2026-06-01T12:00:00.000Z'],
    ['2026-06-01T12:00z', '2026-06-01T12:00:00.000Z'],
    ['2026-06-01T14:00:00.5+02:00', '2026-06-01T12:00:00.500Z'],
    ['2026-06-01T07:00:00-05', '2026-06-01T12:00:00.000Z'],
    ['2026-06-01T17:30:00.123456+0530', '2026-06-01T12:00:00.123Z'],
    ['2026-06-01T00:30:00+01:00', '2026-05-31T23:30:00.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['2026-04-30T00:00:00Z', '2026-04-30T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', '2026-12-31T23:59:59.999Z'],
    ['0000-02-29T00:00:00Z', '0000-02-29T00:00:00.000Z'],
    ['2026-06-01T23:00:00+02:00', '2026-06-01T21:00:00.000Z'],
    // The last day of every month.
    ...[31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31].map((days, i): [string, string] => {
      const date = `2026-${String(i + 1).padStart(2, '0')}-${days}`;
      return [`${date}T12:00:00Z`, `${date}T12:00:00.000Z`];
    }),
  ];
  for (const [text, iso] of cases) t.equal(parseDateTime(text), Date.parse(iso), text);
});

t.test('a day or an hour that does not exist is refused, as is text without a zone', async (t) => {
  for (const text of [
    '2026-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-06-31T00:00:00Z',
    '2026-09-31T12:00:00+02:00',
    '2026-11-31T12:00:00Z',
    '2026-06-00T12:00:00Z',
    '2026-13-01T12:00:00Z',
    '2026-00-01T12:00:00Z',
    '2026-06-01T24:00:00Z',
    '2026-06-01T24:00:00+02:00',
    // The day after the last of every month.
    ...[32, 29, 32, 31, 32, 31, 32, 32, 31, 32, 31, 32].map(
      (day, i) => `2026-${String(i + 1).padStart(2, '0')}-${day}T12:00:00Z`,
    ),
    '2026-06-01T12:60:00Z',
    '2026-06-01T12:00:00',
    '2026-06-01',
    'yesterday',
  ]) {
    t.equal(parseDateTime(text), undefined, text);
  }
});

t.test('a query parameter may also be a bare date: midnight UTC', async (t) => {
  t.equal(parseDateOrDateTime('2024-02-29'), Date.parse('2024-02-29T00:00:00Z'));
  t.equal(parseDateOrDateTime('2026-02-29'), undefined);
  t.equal(parseDateOrDateTime('2026-06-01T14:00:00+02:00'), Date.parse('2026-06-01T12:00:00Z'));
});
