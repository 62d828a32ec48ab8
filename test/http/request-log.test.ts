import { Writable } from 'node:stream';
import t from 'tap';
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
