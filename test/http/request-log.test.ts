import { Writable } from 'node:stream';
import t from 'tap';
import { requestLogger } from '../../src/http/request-logger.js';
import { createLogger } from '../../src/log.js';
import { startServer } from '../helpers/server.js';

/*
 * One line per request at `info`; below it the hook is not even registered (issue 19: a request
 * at `warn` pays nothing for a line nobody writes).
 */
function captured(level: 'info' | 'warn') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level, format: 'json', destination }) };
}

t.test('at info each answer is one line: method, path without the query, status, time', async (t) => {
  const { lines, logger } = captured('info');
  const server = await startServer(t, { logger });
  const response = await server.app.inject({ method: 'GET', url: '/user/currentUser?x=secret-query' });
  t.equal(response.statusCode, 401);
  const line = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('GET /user/currentUser'));
  t.ok(line, 'the request line is written');
  t.equal(line?.msg, 'GET /user/currentUser 401', 'path without its query, and the status');
  t.equal(line?.status, 401);
  t.type(line?.ms, 'number', 'the time it took');
  t.match(line?.reqId, /^req-/, "the request's id");
  t.notMatch(JSON.stringify(lines), /secret-query/, 'the query string is not logged');
});

t.test('at warn no request line is written', async (t) => {
  const { lines, logger } = captured('warn');
  const server = await startServer(t, { logger });
  const response = await server.app.inject({ method: 'GET', url: '/user/currentUser' });
  t.equal(response.statusCode, 401);
  t.same(
    lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('GET ')),
    [],
    'nothing about the request',
  );
});

t.test("request.log makes pino's child on the request's first line, not before", async (t) => {
  const { lines, logger } = captured('warn');
  let children = 0;
  const parent = Object.assign(Object.create(logger) as typeof logger, {
    child(...args: Parameters<typeof logger.child>) {
      children++;
      return logger.child(...args);
    },
  });
  const log = requestLogger(parent, { reqId: 'req-7' }, {});
  log.info({ accessToken: 'x' }, 'below the level');
  log.debug('below the level');
  t.equal(children, 0, 'no line written, no child made');
  t.equal(log.level, 'warn', "the parent's level");
  log.warn({ body: { accessToken: 'secret-token' } }, 'first line');
  log.error('second line');
  t.equal(children, 1, 'one child for every later line');
  t.match(lines, [
    { level: 40, reqId: 'req-7', msg: 'first line', body: { accessToken: '[redacted]' } },
    { level: 50, reqId: 'req-7', msg: 'second line' },
  ]);
  t.notMatch(JSON.stringify(lines), /secret-token/, "the parent's redaction applies");
  log.child({ part: 'x' }).warn('from a child');
  t.match(lines[2], { reqId: 'req-7', part: 'x', msg: 'from a child' });
  log.level = 'debug';
  log.debug('now written');
  t.match(lines[3], { level: 20, reqId: 'req-7', msg: 'now written' });
  t.equal(logger.level, 'warn', "the request's level, not its parent's");

  const routeLevel = requestLogger(parent, { reqId: 'req-8' }, { level: 'debug' });
  t.equal(children, 2, "a route's own level gets its child at once");
  routeLevel.debug('at the route level');
  t.match(lines[4], { level: 20, reqId: 'req-8' });
});
