import t from 'tap';
import { UNAUTHORIZED } from '../../src/errors.js';
import { admin, adminSeed, assertError } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import { keptConnection } from '../helpers/kept-connection.js';
import { device, rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

/*
 * A device keeps its TLS connection and asks for its token again and again: the mock remembers
 * the connection's login (issue 19). Only a real socket gives the same connection to every
 * request, so this test runs over one, and holds the remembered login to a logout and a disabled
 * device user made between two requests on it.
 */
const now = Date.parse('2026-06-01T12:00:00.000Z');
const root = await rootCa(now, 'Connection Root');

t.test(
  'one keep-alive connection: a logout and a disabled device user are seen at its next request',
  async (t) => {
    const server = await startServer(t, {
      listen: true,
      clock: new TestClock(now),
      seed: adminSeed([{ id: 't100', trusted: [{ pem: root.certificate.pem }] }]),
    });
    const dev = await device(root, now, 'connection-01');
    const { send: sendOn, connections } = keptConnection(t, server, { cert: dev.certPem, key: dev.keyPem });
    const send = (path: string, headers: Record<string, string>) =>
      sendOn('POST', path, { accept: 'application/json', ...headers });
    const token = async () => {
      const answer = await send('/devicecontrol/deviceAccessToken', {});
      t.equal(answer.status, 200, answer.text);
      return (answer.json() as { accessToken: string }).accessToken;
    };
    const outcomes = () =>
      server.app.services.decisions
        .list({ externalId: 'connection-01' })
        .map((decision) => decision.outcome)
        .reverse();

    const first = await token();
    t.equal(await token(), first, 'asked again: the same token');
    t.equal(await token(), first, 'and again, from the remembered login');
    t.same(outcomes(), ['issued', 'reused', 'reused'], 'each login recorded');

    const logout = await send('/user/logout', {
      authorization: `Bearer ${first}`,
      'content-type': 'application/json',
    });
    t.equal(logout.status, 200);
    const second = await token();
    t.not(second, first, 'the logged-out token is not handed back');
    t.equal(await token(), second);

    const disabled = await admin(server, {
      method: 'PUT',
      path: '/user/t100/users/device_connection-01',
      json: { enabled: false },
    });
    t.equal(disabled.status, 200);
    assertError(
      t,
      await send('/devicecontrol/deviceAccessToken', {}),
      401,
      'security/Unauthorized',
      UNAUTHORIZED.disabled,
    );
    t.same(outcomes(), ['issued', 'reused', 'reused', 'issued', 'reused', 'refused']);
    t.equal(connections(), 1, 'every request over one TLS connection');
  },
);
