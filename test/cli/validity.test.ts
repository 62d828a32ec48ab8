import t from 'tap';
import { CliError } from '../../src/cli/cli-error.js';
import { parseDate, resolveValidity } from '../../src/cli/validity.js';

const NOW = Date.parse('2026-06-01T12:34:56.789Z');
const DAY = 86_400_000;

t.test('defaults: from an hour ago to the default days from now, whole seconds', async (t) => {
  const { notBefore, notAfter } = resolveValidity({}, 365, NOW);
  t.equal(notBefore.toISOString(), '2026-06-01T11:34:56.000Z');
  t.equal(notAfter.toISOString(), new Date(Math.floor((NOW + 365 * DAY) / 1000) * 1000).toISOString());
});

t.test('--days counts from --not-before when it is given (an expired certificate)', async (t) => {
  const { notBefore, notAfter } = resolveValidity({ notBefore: '2020-01-01', days: 30 }, 365, NOW);
  t.equal(notBefore.toISOString(), '2020-01-01T00:00:00.000Z');
  t.equal(notAfter.toISOString(), '2020-01-31T00:00:00.000Z');
});

t.test('dates: a day is midnight UTC, a time without offset is UTC, offsets are honoured', async (t) => {
  t.equal(parseDate('2030-01-31', '--x'), Date.parse('2030-01-31T00:00:00Z'));
  t.equal(parseDate('2030-01-31T12:00', '--x'), Date.parse('2030-01-31T12:00:00Z'));
  t.equal(parseDate('2030-01-31T12:00:00+02:00', '--x'), Date.parse('2030-01-31T10:00:00Z'));
  t.equal(parseDate('2030-01-31T12:00:00.5Z', '--x'), Date.parse('2030-01-31T12:00:00.500Z'));
});

t.test('refusals', async (t) => {
  const refuses = (fn: () => unknown, message: RegExp) => t.throws(fn, { name: 'CliError', message });
  refuses(
    () => parseDate('31.01.2030', '--not-before'),
    /bad date '31\.01\.2030' for --not-before: use ISO 8601/,
  );
  refuses(() => parseDate('2030-02-29', '--not-after'), /no such date/);
  refuses(() => parseDate('2030-13-01', '--not-after'), /no such date/);
  refuses(() => parseDate('1949-12-31', '--not-before'), /X\.509 dates run from 1950 to 9999/);
  refuses(() => resolveValidity({ days: 0 }, 365, NOW), /--days must be at least 1/);
  refuses(
    () => resolveValidity({ days: 1, notAfter: '2030-01-01' }, 365, NOW),
    /give --days or --not-after, not both/,
  );
  refuses(
    () => resolveValidity({ notAfter: '2020-01-01' }, 365, NOW),
    /bad dates: the certificate would end/,
  );
  refuses(() => resolveValidity({ notBefore: '9999-12-31', days: 2 }, 365, NOW), /beyond the year 9999/);
  t.ok(new CliError('a\nb').message === 'a; b', 'messages are one line');
});
