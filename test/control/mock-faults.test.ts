import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import t from 'tap';
import type { FaultRule } from '../../src/faults/fault-rule.js';
import { registerErrorHandling } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/log.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { ADMIN_PASSWORD, basic, seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, call, INFO, requestToken, startServer, type TestServer } from '../helpers/server.js';
import { signIn } from '../helpers/ui.js';

/* Faults under the test suite's control: /_mock/faults and the REST and EST doors (issue 20). */

const ca100 = await rootCa(TEST_NOW, 'Faults CA 100');
const ca200 = await rootCa(TEST_NOW, 'Faults CA 200');
const a = await device(ca100, TEST_NOW, 'fault-a');
const b = await device(ca100, TEST_NOW, 'fault-b');
const c = await device(ca200, TEST_NOW, 'fault-c');
const seed = seedWith([
  { id: 't100', domain: 't100.example.test', pem: ca100.certificate.pem },
  { id: 't200', domain: 't200.example.test', pem: ca200.certificate.pem },
]);
const admin = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' };
const TOKEN_PATH = '/devicecontrol/deviceAccessToken';

interface Answer {
  error: string;
  message: string;
  info: string;
  rules: FaultRule[];
}
const control = async (server: TestServer, method: string, path: string, body?: unknown, headers = admin) => {
  const answer = await call(server, {
    method,
    path,
    headers: body === undefined ? { authorization: headers.authorization ?? '' } : headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { ...answer, json: () => answer.json() as Answer & FaultRule };
};
const addRule = async (server: TestServer, rule: unknown) => {
  const answer = await control(server, 'POST', '/_mock/faults', rule);
  if (answer.status !== 201) throw new Error(`rule refused: ${answer.text}`);
  return answer.json();
};
const token = (server: TestServer, who = a) => requestToken(server, { cert: who.certPem, key: who.keyPem });

t.test('a 503 rule for the next two token requests, then normal answers', async (t) => {
  const server = await startServer(t, { seed });
  const rule = await addRule(server, {
    door: 'rest',
    path: TOKEN_PATH,
    action: 'status',
    status: 503,
    times: 2,
  });
  t.match(rule, {
    id: '1',
    door: 'rest',
    path: TOKEN_PATH,
    action: 'status',
    status: 503,
    error: 'general/Service Unavailable',
    times: 2,
    remaining: 2,
    matched: 0,
    injected: 0,
    active: true,
    created: new Date(TEST_NOW).toISOString(),
  });
  for (const n of [1, 2]) {
    const refused = await token(server);
    t.equal(refused.status, 503, `request ${n}`);
    t.match(refused.headers['content-type'], /^application\/vnd\.com\.nsn\.cumulocity\.error\+json/);
    t.same(refused.json(), {
      error: 'general/Service Unavailable',
      message: "Injected by the mock's fault rule 1.",
      info: INFO,
    });
  }
  t.equal((await token(server)).status, 200, 'the third is answered');
  t.equal((await token(server)).status, 200);
  const [listed] = (await control(server, 'GET', '/_mock/faults')).json().rules;
  t.match(listed, { id: '1', remaining: 0, injected: 2, matched: 2, active: false });

  const decisions = server.app.services.decisions.list().reverse();
  t.same(
    decisions.map((d) => d.outcome),
    ['injected', 'injected', 'issued', 'reused'],
  );
  t.match(decisions[0], {
    door: 'rest',
    status: 503,
    tenantId: 't100',
    externalId: 'fault-a',
    rule: 'fault 1',
    reason: `POST ${TOKEN_PATH}: answered 503 general/Service Unavailable by fault rule 1 (1 left)`,
    injected: { ruleId: '1', action: 'status' },
  });
  // The control API filters the log by the new outcome.
  const injected = await call(server, { path: '/_mock/decisions?outcome=injected', headers: admin });
  t.equal((injected.json() as { decisions: unknown[] }).decisions.length, 2);
});

t.test(
  'an injected error is logged as injected, at info and without a stack; a real one as an error',
  async (t) => {
    let log = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ level: 'info', format: 'json', destination });
    const server = await startServer(t, { seed, logger });
    const rule = await addRule(server, {
      door: 'rest',
      path: TOKEN_PATH,
      action: 'status',
      status: 503,
      times: 1,
    });
    await addRule(server, { door: 'rest', path: '/user/*', action: 'status', status: 429, times: 1 });
    t.equal((await token(server)).status, 503);
    t.equal((await call(server, { path: '/user/currentUser' })).status, 429);
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const injected = lines.filter((line) => line.injected === true);
    t.match(injected, [
      { level: 30, status: 503, error: 'general/Service Unavailable', rule: rule.id, msg: /injected/ },
      { level: 30, status: 429, error: 'general/Too Many Requests', rule: '2', msg: /injected/ },
    ]);
    t.equal(injected.length, 2);
    t.same(
      lines.filter((line) => (line.level as number) >= 40),
      [],
      'nothing at warn or above',
    );
    t.notMatch(log, /"stack"|"err"/, 'no stack trace');

    // A real failure keeps its level and its stack, through the same handler.
    log = '';
    const app = Fastify({
      loggerInstance: createLogger({ level: 'info', format: 'json', destination }) as FastifyBaseLogger,
    });
    registerErrorHandling(app);
    app.get('/broken', async () => {
      throw new Error('a real bug');
    });
    t.teardown(() => app.close());
    const answer = await app.inject({ url: '/broken' });
    t.equal(answer.statusCode, 500);
    const [failure] = log
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { level: number; msg: string; injected?: boolean; err?: { stack: string } },
      )
      .filter((line) => line.level >= 50);
    t.match(failure, { level: 50, msg: 'request failed', err: { stack: /a real bug/ } });
    t.equal(failure?.injected, undefined);
  },
);

t.test('an error of its own, a method, a path prefix; other requests untouched', async (t) => {
  const server = await startServer(t, { seed });
  await addRule(server, {
    door: 'rest',
    method: 'get',
    path: '/user/*',
    action: 'status',
    status: 429,
    error: 'general/Too Many Requests',
    message: 'Slow down',
  });
  const jwt = (token: Awaited<ReturnType<typeof requestToken>>) =>
    (token.json() as { accessToken: string }).accessToken;
  const bearer = { authorization: `Bearer ${jwt(await token(server))}` };
  for (let i = 0; i < 3; i++) {
    const refused = await call(server, { path: '/user/currentUser', headers: bearer });
    t.equal(refused.status, 429);
    t.same(refused.json(), { error: 'general/Too Many Requests', message: 'Slow down', info: INFO });
  }
  t.equal(
    (await call(server, { path: '/tenant/currentTenant', headers: bearer })).status,
    200,
    'another path',
  );
  t.equal(
    (await call(server, { method: 'POST', path: '/user/logout', headers: bearer })).status !== 429,
    true,
  );
  t.equal(
    (await call(server, { path: '/_mock/faults', headers: admin })).status,
    200,
    'the control API is no door',
  );
  const [d] = server.app.services.decisions.list({ outcome: 'injected' });
  t.match(d, { tenantId: 't100', externalId: 'fault-a' }, 'who asked, from the bearer token');
});

t.test('a delay rule is measured against its duration', async (t) => {
  const server = await startServer(t, { seed });
  await addRule(server, { door: 'rest', path: TOKEN_PATH, action: 'delay', delay: 'PT0.3S', times: 1 });
  let start = performance.now();
  const delayed = await token(server);
  const took = performance.now() - start;
  t.equal(delayed.status, 200, 'then the normal answer');
  t.ok(took >= 300, `took ${took.toFixed(0)} ms, at least the 300 ms asked`);
  t.ok(took < 1300, `took ${took.toFixed(0)} ms, not much more`);
  start = performance.now();
  t.equal((await token(server)).status, 200);
  t.ok(performance.now() - start < 300, 'the next is not delayed');
  const outcomes = server.app.services.decisions.list().map((d) => d.outcome);
  t.same(outcomes, ['reused', 'issued', 'injected'], 'the delay is logged, then the real decision');
  t.match(server.app.services.decisions.list({ outcome: 'injected' })[0]?.reason, /delayed by PT0\.3S/);
});

t.test('rules scoped to a tenant or a device leave the others untouched', async (t) => {
  const server = await startServer(t, { seed });
  await addRule(server, { door: 'rest', tenant: 't200', action: 'status', status: 503 });
  await addRule(server, { door: 'rest', device: 'fault-b', action: 'status', status: 500 });
  t.equal((await token(server, a)).status, 200, 't100 device a');
  t.equal((await token(server, b)).status, 500, 't100 device b');
  t.equal((await token(server, c)).status, 503, 't200 device c');
  const t100 = await call(server, {
    path: '/tenant/currentTenant',
    headers: { authorization: basic('t100/admin'), accept: 'application/json' },
  });
  t.equal(t100.status, 200, 'an administrator of t100');
  const t200 = await call(server, {
    path: '/tenant/currentTenant',
    headers: { authorization: basic('t200/admin'), accept: 'application/json' },
  });
  t.equal(t200.status, 503, 'an administrator of t200');
  const byHost = await call(server, { path: '/tenant/currentTenant', host: 't200.example.test' });
  t.equal(byHost.status, 503, 'a request sent to the domain of t200');
  const injected = server.app.services.decisions.list({ outcome: 'injected' }).reverse();
  t.same(
    injected.map((d) => [d.tenantId, d.externalId, d.status]),
    [
      ['t100', 'fault-b', 500],
      ['t200', 'fault-c', 503],
      ['t200', undefined, 503],
      ['t200', undefined, 503],
    ],
  );
});

t.test('a share of the requests, repeatable with a seed', async (t) => {
  const server = await startServer(t, { seed });
  const pattern = async () => {
    await addRule(server, {
      door: 'rest',
      path: '/tenant/currentTenant',
      action: 'status',
      status: 503,
      share: 0.5,
      seed: 7,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      statuses.push(
        (
          await call(server, {
            path: '/tenant/currentTenant',
            headers: { authorization: basic('t100/admin') },
          })
        ).status,
      );
    }
    await control(server, 'DELETE', '/_mock/faults');
    return statuses;
  };
  const first = await pattern();
  const failed = first.filter((s) => s === 503).length;
  t.ok(failed > 4 && failed < 20, `${failed} of 24 failed`);
  t.same(
    first.filter((s) => s !== 503),
    Array(24 - failed).fill(200),
  );
  t.same(await pattern(), first, 'the same seed, the same requests fail');
  const unseeded = await addRule(server, { door: 'rest', action: 'status', status: 503, share: 0.25 });
  t.type(unseeded.seed, 'number', 'a rule without a seed lists the one it drew, to repeat a run');
});

t.test('EST is a door of its own', async (t) => {
  const server = await startServer(t, { seed });
  await addRule(server, { door: 'est', action: 'status', status: 503, times: 1 });
  const enroll = () =>
    call(server, {
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: { authorization: basic('t100/fault-z', 'otp'), 'content-type': 'application/pkcs10' },
      body: 'MIIB',
    });
  t.equal((await token(server)).status, 200, 'REST untouched');
  const refused = await enroll();
  t.equal(refused.status, 503);
  t.not((await enroll()).status, 503, 'then the normal answer');
  t.match(server.app.services.decisions.list({ outcome: 'injected' })[0], {
    door: 'est',
    tenantId: 't100',
    reason: /^POST \/\.well-known\/est\/simpleenroll: answered 503/,
  });
});

/** One request over a real connection: its status, or how it ended. */
function raw(server: TestServer, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        method: 'POST',
        path: TOKEN_PATH,
        ca: server.serverCa,
        cert: a.certPem,
        key: a.keyPem,
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(String(response.statusCode)));
      },
    );
    request.on('timeout', () => {
      request.destroy();
      resolve('no answer');
    });
    request.on('error', (error) =>
      resolve(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`),
    );
    request.end();
  });
}

t.test('no answer, and a closed connection, over a real socket', async (t) => {
  const server = await startServer(t, { listen: true, seed });
  await addRule(server, { door: 'rest', path: TOKEN_PATH, action: 'no-answer', times: 1 });
  await addRule(server, { door: 'rest', path: TOKEN_PATH, action: 'close', times: 1 });
  t.equal(await raw(server, 400), 'no answer', 'the client gives up waiting');
  t.match(await raw(server, 5000), /^error (ECONNRESET|socket hang up)/, 'the connection closed');
  t.equal(await raw(server, 5000), '200', 'a client that retries gets its token');
  t.same(
    server.app.services.decisions
      .list()
      .reverse()
      .map((d) => d.injected?.action ?? d.outcome),
    ['no-answer', 'close', 'issued'],
  );
  // A held connection does not keep the mock from closing.
  await addRule(server, { door: 'rest', action: 'no-answer' });
  const pending = raw(server, 30_000);
  await new Promise((resolve) => setImmediate(resolve));
  await server.stop();
  t.match(await pending, /^(error|no answer)/);
});

t.test('reset clears every rule; DELETE removes one or all', async (t) => {
  const server = await startServer(t, { seed });
  const one = await addRule(server, { door: 'rest', action: 'status', status: 503 });
  await addRule(server, { door: 'mqtt', topic: 's/uat', action: 'no-answer' });
  await addRule(server, { door: 'mqtt', action: 'connack' });
  const list = (await control(server, 'GET', '/_mock/faults')).json().rules;
  t.same(
    list.map((r) => [r.id, r.door, r.stage, r.action, r.returnCode]),
    [
      ['1', 'rest', undefined, 'status', undefined],
      ['2', 'mqtt', 'publish', 'no-answer', undefined],
      ['3', 'mqtt', 'connect', 'connack', 3],
    ],
  );
  t.equal((await control(server, 'GET', `/_mock/faults/${one.id}`)).json().id, '1');
  t.equal((await control(server, 'DELETE', `/_mock/faults/${one.id}`)).status, 204);
  const missing = await control(server, 'DELETE', '/_mock/faults/1');
  t.equal(missing.status, 404);
  t.same(missing.json(), { error: 'mock/Not Found', message: 'There is no fault rule 1.', info: INFO });
  t.equal((await control(server, 'GET', '/_mock/faults/99')).status, 404);
  t.equal((await token(server)).status, 200, 'the removed rule no longer fires');
  t.equal((await control(server, 'POST', '/_mock/reset', {})).status, 200);
  t.same((await control(server, 'GET', '/_mock/faults')).json().rules, [], 'reset clears them');
  await addRule(server, { door: 'rest', action: 'status', status: 503 });
  t.equal((await control(server, 'DELETE', '/_mock/faults')).status, 204);
  t.same((await control(server, 'GET', '/_mock/faults')).json().rules, []);
  t.equal((await token(server)).status, 200);
});

t.test('hostile rules: a 400 that names the field; nothing without the admin secret', async (t) => {
  const server = await startServer(t, { seed });
  for (const [rule, message] of [
    [{}, /missing field "door"/],
    [[], /must be a JSON object/],
    [{ door: 'http', action: 'status', status: 503 }, /door must be "rest", "mqtt", "est"/],
    [{ door: 'rest', action: 'explode' }, /action must be "status", "delay"/],
    [{ door: 'rest', action: 'status' }, /action "status" needs status/],
    [{ door: 'rest', action: 'status', status: 200 }, /status must be >= 400/],
    [{ door: 'rest', action: 'status', status: '503' }, /status must be integer/],
    [{ door: 'rest', action: 'status', status: 503, colour: 'red' }, /unknown field "colour"/],
    [{ door: 'rest', action: 'delay' }, /needs delay/],
    [{ door: 'rest', action: 'delay', delay: '300ms' }, /delay must be an ISO 8601 duration/],
    [{ door: 'rest', action: 'delay', delay: 'PT2H' }, /delay is too large: at most PT1H; got "PT2H"/],
    [{ door: 'rest', action: 'delay', delay: 'PT99999999999S' }, /delay is too large: at most PT1H/],
    [{ door: 'rest', action: 'delay', delay: '-PT1S' }, /more than 0/],
    [
      { door: 'rest', action: 'drop' },
      /action "drop" does not fit door "rest"; use "status", "delay", "no-answer", "close"/,
    ],
    [{ door: 'rest', action: 'status', status: 503, topic: 's/uat' }, /stage and topic are for door "mqtt"/],
    [{ door: 'mqtt', path: '/x', action: 'drop' }, /method and path are for doors "rest" and "est"/],
    [
      { door: 'rest', method: 'FOO', action: 'close' },
      /^Invalid fault rule: method must be GET, POST, PUT, DELETE, PATCH, HEAD or OPTIONS \(any case\); got "FOO"\.$/,
    ],
    [{ door: 'est', method: 'connect', action: 'close' }, /method must be GET, POST/],
    [{ door: 'rest', method: 'GET1', action: 'close' }, /method must be GET, POST/],
    [{ door: 'rest', method: '', action: 'close' }, /method must be GET, POST.*got ""/],
    [{ door: 'rest', method: 5, action: 'close' }, /method must be string/],
    [{ door: 'mqtt', action: 'status', status: 503 }, /does not fit door "mqtt" at stage "publish"/],
    [{ door: 'mqtt', stage: 'connect', action: 'drop' }, /does not fit door "mqtt" at stage "connect"/],
    [{ door: 'mqtt', stage: 'connect', topic: 's/uat', action: 'close' }, /topic is for stage "publish"/],
    [{ door: 'mqtt', action: 'connack', returnCode: 6 }, /returnCode must be <= 5/],
    [{ door: 'rest', action: 'close', returnCode: 3 }, /returnCode is for action "connack"/],
    [{ door: 'rest', action: 'close', times: 0 }, /times must be >= 1/],
    [{ door: 'rest', action: 'close', share: 0 }, /share must be > 0/],
    [{ door: 'rest', action: 'close', share: 1.5 }, /share must be <= 1/],
    [{ door: 'rest', action: 'close', seed: 3 }, /seed is for share/],
    [{ door: 'rest', path: 'devicecontrol', action: 'close' }, /path must match pattern/],
    [{ door: 'rest', action: 'close', delay: 'PT1S' }, /delay is for action "delay"/],
    [{ door: 'rest', action: 'close', status: 503 }, /status, error and message are for action "status"/],
  ] as const) {
    const answer = await control(server, 'POST', '/_mock/faults', rule);
    t.equal(answer.status, 400, JSON.stringify(rule));
    t.equal(answer.json().error, 'mock/Bad Request');
    t.match(answer.json().message, /^Invalid fault rule: /);
    t.match(answer.json().message, message, JSON.stringify(rule));
  }
  t.same((await control(server, 'GET', '/_mock/faults')).json().rules, [], 'none was added');

  const rule = { door: 'rest', action: 'status', status: 503 };
  for (const authorization of [undefined, 'Bearer wrong', basic('t100/admin')]) {
    const headers = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
    t.equal((await control(server, 'POST', '/_mock/faults', rule, headers as typeof admin)).status, 401);
    for (const [method, path] of [
      ['GET', '/_mock/faults'],
      ['DELETE', '/_mock/faults'],
      ['DELETE', '/_mock/faults/1'],
      ['GET', '/_mock/faults/1'],
    ] as const) {
      const answer = await call(server, {
        method,
        path,
        ...(authorization ? { headers: { authorization } } : {}),
      });
      t.equal(answer.status, 401, `${method} ${path} with ${authorization ?? 'nothing'}`);
    }
  }
  t.same((await control(server, 'GET', '/_mock/faults')).json().rules, []);
});

t.test("the dashboard's mock state: the clock, and the active rules a viewer may see", async (t) => {
  const server = await startServer(t, { seed });
  await addRule(server, { door: 'rest', action: 'status', status: 503, times: 1 });
  await addRule(server, { door: 'rest', tenant: 't100', action: 'close' });
  await addRule(server, { door: 'mqtt', tenant: 't200', action: 'connack' });
  await call(server, { method: 'PUT', path: '/_mock/clock', headers: admin, body: '{"advance":"-PT1M"}' });
  // A year on the mock's clock does not end a dashboard session: its idle timeout is real time.
  const mock = await signIn(server, { secret: ADMIN_SECRET });
  const tenant = await signIn(server, { user: 't100/admin', password: ADMIN_PASSWORD });
  await call(server, { method: 'PUT', path: '/_mock/clock', headers: admin, body: '{"advance":"P365D"}' });
  const state = (await mock.get('mock-state')).json() as {
    clock: { now: number; offsetMs: number };
    faults: FaultRule[];
  };
  t.same(state.clock, { now: TEST_NOW - 60_000 + 365 * 86_400_000, offsetMs: 365 * 86_400_000 - 60_000 });
  t.same(
    state.faults.map((r) => r.id),
    ['1', '2', '3'],
  );
  const seen = (await tenant.get('mock-state')).json() as typeof state;
  t.same(
    seen.faults.map((r) => r.id),
    ['1', '2'],
    "a tenant administrator sees no other tenant's rules",
  );
  t.equal((await token(server)).status, 503);
  const after = (await mock.get('mock-state')).json() as typeof state;
  t.same(
    after.faults.map((r) => r.id),
    ['2', '3'],
    'a rule that has done its times is no longer active',
  );
  t.equal((await call(server, { path: '/_mock/ui/api/mock-state' })).status, 401, 'only for a session');
});
