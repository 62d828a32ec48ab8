import t from 'tap';
import { checkHealth } from '../../src/health/check.js';
import { TEST_NOW } from '../helpers/clock.js';
import { rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

t.test('healthy when the mock answers UP over TLS trusted through the given CA', async (t) => {
  const server = await startServer(t, { listen: true });
  const result = await checkHealth({ origin: server.origin, ca: server.serverCa, timeoutMs: 5000 });
  t.same(result, { healthy: true, detail: `${server.origin}/_mock/health: 200 UP` });
});

t.test('unhealthy, without throwing, when the server certificate is not from the given CA', async (t) => {
  const server = await startServer(t, { listen: true });
  const other = await rootCa(TEST_NOW, 'Some other CA');
  const result = await checkHealth({ origin: server.origin, ca: other.certificate.pem, timeoutMs: 5000 });
  t.equal(result.healthy, false);
  t.match(result.detail, /certificate/i);
});

t.test('unhealthy when nothing listens', async (t) => {
  const server = await startServer(t, { listen: true });
  const { origin, serverCa } = server;
  await server.app.close();
  const result = await checkHealth({ origin, ca: serverCa, timeoutMs: 5000 });
  t.equal(result.healthy, false);
  t.match(result.detail, /ECONNREFUSED/);
});
