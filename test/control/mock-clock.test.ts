import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import t from 'tap';
import { ControllableClock } from '../../src/clock.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { assertFailure, assertSuccess, runCli, tempDir } from '../helpers/cli.js';
import { TEST_NOW, TestClock } from '../helpers/clock.js';
import {
  answerCertificates,
  asAdmin,
  deviceCsr,
  EST_NOW,
  enroll,
  estServer,
  registerWithOtp,
} from '../helpers/est.js';
import { DAY, device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, call, requestToken, startServer, type TestServer } from '../helpers/server.js';

/* The mock's clock under the test suite's control: GET/PUT /_mock/clock (issue 20). */

const ca = await rootCa(TEST_NOW, 'Clock CA');
const dev = await device(ca, TEST_NOW, 'clock-01');
const seed = seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]);
const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };

interface Answer {
  now: string;
  offsetSeconds: number;
  error: string;
  message: string;
}
const clock = async (server: TestServer, body?: unknown, headers: Record<string, string> = admin) => {
  const answer = await call(server, {
    method: body === undefined ? 'GET' : 'PUT',
    path: '/_mock/clock',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { ...answer, json: () => answer.json() as Answer };
};
const token = async (server: TestServer) => {
  const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  return response.status === 200 ? (response.json() as { accessToken: string }).accessToken : response;
};
const currentUser = (server: TestServer, jwt: string) =>
  call(server, { path: '/user/currentUser', headers: { authorization: `Bearer ${jwt}` } });
const iso = (ms: number) => new Date(ms).toISOString();

t.test('GET answers now and the offset; PUT advances, sets and returns to real time', async (t) => {
  const server = await startServer(t, { seed });
  t.same((await clock(server)).json(), { now: iso(TEST_NOW), offsetSeconds: 0 });

  let answer = await clock(server, { advance: 'PT5M' });
  t.equal(answer.status, 200);
  t.match(answer.headers['content-type'], /^application\/json/);
  t.same(answer.json(), { now: iso(TEST_NOW + 300_000), offsetSeconds: 300 });
  t.same((await clock(server, { advance: 'P1DT1.5S' })).json(), {
    now: iso(TEST_NOW + 300_000 + DAY + 1500),
    offsetSeconds: 300 + 86_400 + 1.5,
  });
  t.same((await clock(server, { advance: '-PT30S' })).json().offsetSeconds, 300 + 86_400 + 1.5 - 30);

  // The clock runs on from an instant that was set: the base clock moving moves it.
  answer = await clock(server, { set: '2027-01-01T02:00:00+02:00' });
  t.same(answer.json(), {
    now: '2027-01-01T00:00:00.000Z',
    offsetSeconds: (Date.parse('2027-01-01T00:00:00Z') - TEST_NOW) / 1000,
  });
  server.clock.advance(10_000);
  t.equal(answer.json().now, '2027-01-01T00:00:00.000Z');
  t.equal((await clock(server)).json().now, '2027-01-01T00:00:10.000Z', 'runs on after set');

  t.same((await clock(server, { real: true })).json(), { now: iso(TEST_NOW + 10_000), offsetSeconds: 0 });
  t.equal(server.app.services.clock.now(), server.clock.now());
});

t.test('advance past half the lifetime: the same device gets a new token at once', async (t) => {
  const server = await startServer(t, { seed });
  const first = (await token(server)) as string;
  t.equal(await token(server), first, 'before half its life the token is handed back');
  await clock(server, { advance: 'PT30M' });
  const second = (await token(server)) as string;
  t.not(second, first, 'at half its life (1800 s of 3600) a new one');
  t.equal(decodeJwt(second).iat, TEST_NOW / 1000 + 1800, 'iat on the mock clock');
  t.equal(decodeJwt(second).exp, TEST_NOW / 1000 + 1800 + 3600);
  t.equal((await currentUser(server, first)).status, 200, 'the first still valid until its exp');

  await clock(server, { advance: 'PT30M' });
  const refused = await currentUser(server, first);
  t.equal(refused.status, 401, 'past its exp the old token is refused');
  t.equal((await currentUser(server, second)).status, 200);
  t.equal(server.app.services.decisions.list().length > 0, true);
  t.equal(
    server.app.services.decisions.list()[0]!.time,
    TEST_NOW + 1800_000,
    'the decision log on the mock clock',
  );
});

t.test("advance past the device certificate's notAfter: refused by not-expired", async (t) => {
  const server = await startServer(t, { seed });
  t.type(await token(server), 'string');
  await clock(server, { advance: 'P366D' });
  const refused = await token(server);
  t.not(typeof refused, 'string');
  t.equal((refused as { status: number }).status, 401);
  const [last] = server.app.services.decisions.list({ outcome: 'refused' });
  t.equal(last?.rule, 'not-expired');
  t.match(last?.reason, /expired on/);
});

t.test('set back: a token issued "in the future" is refused by nbf until the clock passes it', async (t) => {
  const server = await startServer(t, { seed });
  await clock(server, { advance: 'PT1H' });
  const future = (await token(server)) as string;
  await clock(server, { real: true });
  const early = await currentUser(server, future);
  t.equal(early.status, 401);
  t.equal(server.app.services.decisions.list()[0]?.outcome, 'issued');
  const fresh = (await token(server)) as string;
  t.not(fresh, future, 'the token endpoint issues a new token instead of handing the future one back');
  t.equal(decodeJwt(fresh).iat, TEST_NOW / 1000);
  t.equal((await currentUser(server, fresh)).status, 200);
  await clock(server, { advance: 'PT1H' });
  t.equal((await currentUser(server, future)).status, 200, 'valid once the clock passes its nbf');
});

t.test('a logged-out token stays refused after the clock went past its exp and back', async (t) => {
  const server = await startServer(t, { seed });
  const jwt = (await token(server)) as string;
  const logout = await call(server, {
    method: 'POST',
    path: '/user/logout',
    headers: { authorization: `Bearer ${jwt}` },
  });
  t.equal(logout.status, 200);
  await clock(server, { advance: 'PT2H' });
  const { tokens } = server.app.services;
  t.equal(tokens.pruneExpired(), 0, 'nothing pruned on the advanced clock alone');
  await clock(server, { real: true });
  t.equal((await currentUser(server, jwt)).status, 401, 'still revoked');
  server.clock.advance(7200_000);
  t.ok(tokens.pruneExpired() > 0, 'pruned once real time passes its exp too');
});

t.test('reset and restart return to real time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startServer(t, { seed, store: new SqliteStore({ dataDir: dir }) });
  await clock(first, { advance: 'P2D' });
  const reset = await call(first, { method: 'POST', path: '/_mock/reset', headers: admin, body: '{}' });
  t.equal(reset.status, 200);
  t.same((await clock(first)).json(), { now: iso(TEST_NOW), offsetSeconds: 0 }, 'reset');
  await clock(first, { advance: 'P2D' });
  await first.stop();
  const second = await startServer(t, { seed, store: new SqliteStore({ dataDir: dir }) });
  t.same((await clock(second)).json(), { now: iso(TEST_NOW), offsetSeconds: 0 }, 'restart');
});

t.test('hostile input: a 400 that names the problem; nothing without the admin secret', async (t) => {
  const server = await startServer(t, { seed });
  for (const [body, message] of [
    [{ advance: '5m' }, /advance must be an ISO 8601 duration such as PT5M.*"5m"/],
    [{ advance: 'PT' }, /ISO 8601 duration/],
    [{ advance: 'P' }, /ISO 8601 duration/],
    [{ advance: 'P1DT' }, /ISO 8601 duration/],
    [{ advance: 'PT-5M' }, /ISO 8601 duration/],
    [{ advance: 'PT5M ' }, /ISO 8601 duration/],
    [{ advance: 'P1M' }, /years and months have no fixed length/],
    [{ advance: 'P1Y' }, /years and months have no fixed length/],
    [{ advance: 300 }, /ISO 8601 duration.*got 300/],
    [{ set: '2026-02-30T00:00:00Z' }, /does not exist/],
    [{ set: '2026-06-01T24:00:00Z' }, /does not exist/],
    [{ set: '2026-06-01' }, /ISO 8601 instant with a time zone/],
    [{ set: '2026-06-01T12:00:00' }, /ISO 8601 instant with a time zone/],
    [{ set: '2027-01-01T00:00:00+25:00' }, /time zone offset .*"\+25:00"/],
    [{ set: '2027-01-01T00:00:00+24:00' }, /time zone offset .*"\+24:00"/],
    [{ set: '2027-01-01T00:00:00+00:60' }, /time zone offset .*"\+00:60"/],
    [{ set: '2027-01-01T00:00:00-99:99' }, /time zone offset/],
    [{ set: '2027-02-29T00:00:00Z' }, /does not exist/],
    [{ set: '2027-01-01T23:60:00Z' }, /does not exist/],
    [{ set: '2027-01-01T23:59:60Z' }, /does not exist/],
    [{ set: 'tomorrow' }, /ISO 8601 instant/],
    [{ real: false }, /real must be true/],
    [
      { advance: 'P99999999999D' },
      /advance is too large: at most P3652425D \(10,000 years\); got "P99999999999D"/,
    ],
    [{ advance: '-P99999999999D' }, /advance is too large: at most P3652425D/],
    [{ advance: 'P999999999W' }, /advance is too large/],
    [{ advance: `PT${'9'.repeat(40)}S` }, /advance is too large/],
    [
      { advance: 'P3000000D' },
      /from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z; advance would take it outside/,
    ],
    [{ advance: '-P30000D' }, /advance would take it outside/],
    [{ set: '1969-12-31T23:59:59Z' }, /set would take it outside/],
    [{ advance: 'PT5M', set: '2027-01-01T00:00:00Z' }, /give one of/],
    [{ rewind: 'PT5M' }, /give one of .*"rewind"/],
    [[], /must be a JSON object/],
    ['PT5M', /must be a JSON object/],
  ] as const) {
    const answer = await clock(server, body);
    t.equal(answer.status, 400, JSON.stringify(body));
    t.equal(answer.json().error, 'mock/Bad Request');
    t.match(answer.json().message, message, JSON.stringify(body));
  }
  const after = await clock(server);
  t.equal(after.status, 200, 'the clock still answers');
  t.same(after.json(), { now: iso(TEST_NOW), offsetSeconds: 0 }, 'nothing moved');
  t.type(await token(server), 'string', 'tokens are still issued');

  const json = { 'content-type': 'application/json' };
  for (const headers of [json, { ...json, authorization: 'Bearer wrong' }]) {
    t.equal((await clock(server, undefined, headers)).status, 401);
    t.equal((await clock(server, { advance: 'PT1H' }, headers)).status, 401);
  }
  t.same((await clock(server)).json().offsetSeconds, 0);
});

t.test('real is accepted however far the clock has run, at the end of the calendar too', async (t) => {
  const server = await startServer(t, { seed });
  t.equal((await clock(server, { set: '9999-12-31T23:59:58Z' })).status, 200);
  server.clock.advance(3000);
  t.equal((await clock(server)).json().now, '+010000-01-01T00:00:01.000Z', 'past the last instant by now');
  const answer = await clock(server, { real: true });
  t.equal(answer.status, 200, answer.text);
  t.same(answer.json(), { now: iso(TEST_NOW + 3000), offsetSeconds: 0 });
});

t.test('instants at the edges of the calendar and of the offsets', async (t) => {
  const server = await startServer(t, { seed });
  for (const [set, now] of [
    ['2027-01-01T23:59:00+23:59', '2027-01-01T00:00:00.000Z'],
    ['2027-01-01T00:00:00-23:59', '2027-01-01T23:59:00.000Z'],
    ['2028-02-29T12:00:00.123456789Z', '2028-02-29T12:00:00.123Z'],
    ['2027-06-30T23:59Z', '2027-06-30T23:59:00.000Z'],
    ['2027-01-01T00:00:00-00:00', '2027-01-01T00:00:00.000Z'],
  ]) {
    const answer = await clock(server, { set });
    t.equal(answer.status, 200, set!);
    t.equal(answer.json().now, now, set!);
  }
});

t.test('the clock itself refuses an offset that is not a finite number', async (t) => {
  const base = new TestClock();
  const controllable = new ControllableClock(base);
  controllable.advance(5000);
  for (const move of [
    () => controllable.set(Number.NaN),
    () => controllable.set(Number.POSITIVE_INFINITY),
    () => controllable.advance(Number.NaN),
    () => controllable.advance(Number.NEGATIVE_INFINITY),
  ]) {
    t.throws(move, RangeError);
    t.equal(controllable.offsetMs, 5000, 'the offset stays');
    t.equal(controllable.now(), TEST_NOW + 5000);
  }
  controllable.advance(Number.MAX_VALUE);
  t.throws(() => controllable.advance(Number.MAX_VALUE), RangeError, 'a sum that overflows');
});

t.test('the clock command talks to a running mock with the admin secret', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'server-ca.pem'), server.serverCa);
  const env = {
    C8Y_HOST: server.origin,
    C8Y_MOCK_CACERT: 'server-ca.pem',
    C8Y_MOCK_ADMIN_SECRET: ADMIN_SECRET,
  };
  const cli = (args: string[], extra: Record<string, string> = env) => runCli(args, { cwd: dir, env: extra });

  let result = await cli(['clock']);
  assertSuccess(t, result);
  t.equal(result.stdout, `${iso(TEST_NOW)} (real time)\n`);
  result = await cli(['clock', 'advance', 'PT5M']);
  assertSuccess(t, result);
  t.equal(result.stdout, `${iso(TEST_NOW + 300_000)} (real time + 300 s)\n`);
  t.equal(server.app.services.clock.offsetMs, 300_000);
  assertSuccess(t, await cli(['clock', 'advance', '-PT10M']));
  t.equal(server.app.services.clock.offsetMs, -300_000);
  result = await cli(['clock', 'set', '2027-01-01T00:00:00Z', '--admin-secret', ADMIN_SECRET]);
  assertSuccess(t, result);
  t.equal(
    result.stdout,
    `2027-01-01T00:00:00.000Z (real time + ${(Date.parse('2027-01-01') - TEST_NOW) / 1000} s)\n`,
  );
  result = await cli(['clock', 'show']);
  t.match(result.stdout, /^2027-01-01T00:00:00\.000Z/);
  result = await cli(['clock', 'real']);
  assertSuccess(t, result);
  t.equal(result.stdout, `${iso(TEST_NOW)} (real time)\n`);
  // At the end of the calendar, real time is still one command away.
  assertSuccess(t, await cli(['clock', 'set', '9999-12-31T23:59:58Z']));
  server.clock.advance(3000);
  result = await cli(['clock', 'real']);
  assertSuccess(t, result);
  t.equal(result.stdout, `${iso(TEST_NOW + 3000)} (real time)\n`);

  assertFailure(
    t,
    await cli(['clock', 'advance', '5 minutes']),
    /the mock refused: 400 mock\/Bad Request: advance must be an ISO 8601 duration/,
  );
  assertFailure(t, await cli(['clock', 'set', '2026-02-30T00:00:00Z']), /does not exist/);
  const { C8Y_MOCK_ADMIN_SECRET: _, ...withoutSecret } = env;
  // Not taken for an argument of the default command (show): named, with the commands there are.
  for (const [args, unknown] of [
    [['clock', 'bogus'], 'bogus'],
    [['clock', 'bogus', 'PT5M'], 'bogus'],
  ] as const) {
    assertFailure(
      t,
      await cli([...args], withoutSecret),
      new RegExp(
        `unknown clock command '${unknown}'; the clock commands are show \\(the default\\), advance, set and real$`,
        'm',
      ),
    );
  }
  assertFailure(
    t,
    await cli(['clock', 'show', 'now'], withoutSecret),
    /clock show takes no arguments; got "now"$/m,
  );
  assertFailure(
    t,
    await cli(['clock'], withoutSecret),
    /give the mock’s admin secret with --admin-secret or C8Y_MOCK_ADMIN_SECRET/,
  );
  assertFailure(
    t,
    await cli(['clock', 'real', '--admin-secret', 'wrong']),
    /the mock refused: 401 security\/Unauthorized/,
  );
  t.equal(server.app.services.clock.offsetMs, 0);
});

t.test('EST: issuance dates and one-time passwords follow the clock', async (t) => {
  const server = await estServer(t);
  t.equal((await asAdmin(server, 'POST', '/certificate-authority')).status, 201);
  t.equal(
    (
      await registerWithOtp(server, [
        ['est-clock-01', 'otp-0001'],
        ['est-clock-02', 'otp-0002'],
      ])
    ).status,
    201,
  );
  t.equal((await clock(server, { advance: 'PT10H' })).status, 200);
  const csr = await deviceCsr('CN=est-clock-01');
  const answer = await enroll(server, 'est-clock-01', 'otp-0001', csr.der);
  t.equal(answer.status, 200);
  const [certificate] = await answerCertificates(answer);
  t.equal(
    certificate?.notBefore,
    Math.floor((EST_NOW + 10 * 3_600_000) / 1000) * 1000,
    'notBefore on the mock clock',
  );
  // The one-time password lives a day (--enrollment-otp-validity) on the mock's clock too.
  await clock(server, { advance: 'PT15H' });
  const late = await enroll(server, 'est-clock-02', 'otp-0002', (await deviceCsr('CN=est-clock-02')).der);
  t.equal(late.status, 401, 'the password expired a day after its registration');
});
