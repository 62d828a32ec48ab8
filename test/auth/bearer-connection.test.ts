import t from 'tap';
import { admin, adminSeed, assertError } from '../helpers/admin.js';
import { TestClock } from '../helpers/clock.js';
import { keptConnection } from '../helpers/kept-connection.js';
import { device, rootCa } from '../helpers/pki.js';
import { requestToken, startServer } from '../helpers/server.js';
import { countStoreCalls } from '../helpers/store-reads.js';

/*
 * A client that keeps its connection sends the same Bearer header again and again: the mock keeps
 * the connection's last device session (issue 19). Only a real socket gives every request the
 * same connection, so this test runs over one, and holds the kept session to every change that
 * refuses the token, made between two requests on it.
 */
const now = Date.parse('2026-06-01T12:00:00.000Z');
const root = await rootCa(now, 'Bearer Connection Root');
const BAD = ['security/Unauthorized', 'Invalid credentials! : Bad credentials'] as const;

t.test(
  'one keep-alive connection: every change that refuses a token is seen at its next request',
  async (t) => {
    const clock = new TestClock(now);
    const server = await startServer(t, {
      listen: true,
      clock,
      seed: adminSeed([
        { id: 't100', domain: 'localhost', trusted: [{ pem: root.certificate.pem }] },
        { id: 't200', domain: 'other.example.test' },
      ]),
    });
    const dev = await device(root, now, 'bearer-01');
    const other = await device(root, now, 'bearer-02');
    const tokenOf = async (d: typeof dev) =>
      (
        (await requestToken(server, { cert: d.certPem, key: d.keyPem })).json() as {
          accessToken: string;
        }
      ).accessToken;
    const token = await tokenOf(dev);
    const otherToken = await tokenOf(other);
    const { send, connections } = keptConnection(t, server, { cert: dev.certPem, key: dev.keyPem });
    const me = (jwt: string, headers: Record<string, string> = {}) =>
      send('GET', '/user/currentUser', { authorization: `Bearer ${jwt}`, ...headers });
    const userOf = async (jwt: string) => {
      const answer = await me(jwt);
      t.equal(answer.status, 200, answer.text);
      return (answer.json() as { userName: string }).userName;
    };

    t.equal(await userOf(token), 'device_bearer-01');
    const reads = countStoreCalls(server.store);
    t.equal(await userOf(token), 'device_bearer-01', 'the same header again');
    t.equal(reads.count, 0, 'kept: nothing read from the store');

    t.equal(await userOf(otherToken), 'device_bearer-02', "another device's token on the connection");
    t.equal(await userOf(token), 'device_bearer-01');

    assertError(t, await me(token, { host: `other.example.test:${server.port}` }), 401, ...BAD);
    t.equal(await userOf(token), 'device_bearer-01', 'the host is part of what is kept');

    const user = '/user/t100/users/device_bearer-01';
    t.equal((await admin(server, { method: 'PUT', path: user, json: { enabled: false } })).status, 200);
    assertError(t, await me(token), 401, 'security/Unauthorized', 'Invalid credentials! : User is disabled');
    t.equal((await admin(server, { method: 'PUT', path: user, json: { enabled: true } })).status, 200);
    t.equal(await userOf(token), 'device_bearer-01', 'enabled again');

    const anchor = `/tenant/tenants/t100/trusted-certificates/${root.certificate.fingerprint}`;
    t.equal((await admin(server, { method: 'PUT', path: anchor, json: { status: 'DISABLED' } })).status, 200);
    assertError(t, await me(token), 401, ...BAD);
    t.equal((await admin(server, { method: 'PUT', path: anchor, json: { status: 'ENABLED' } })).status, 200);
    t.equal(await userOf(token), 'device_bearer-01', 'the anchor enabled again');

    const logout = await send('POST', '/user/logout', { authorization: `Bearer ${token}` });
    t.equal(logout.status, 200);
    assertError(t, await me(token), 401, ...BAD);

    // The platform's cookie, when the Authorization header is empty: not kept, read every time.
    const cookie = (jwt?: string) =>
      send('GET', '/user/currentUser', {
        authorization: '',
        ...(jwt ? { cookie: `authorization=${jwt}` } : {}),
      });
    t.match(
      (await cookie(otherToken)).json(),
      { userName: 'device_bearer-02' },
      'an empty header: the cookie',
    );
    assertError(t, await cookie(token), 401, ...BAD);
    assertError(
      t,
      await cookie(),
      401,
      'security/Unauthorized',
      'Full authentication is required to access this resource',
    );

    // Signatures forgotten (the signing key may have changed): checked again.
    t.equal(await userOf(otherToken), 'device_bearer-02');
    server.app.services.authenticator.forget();
    reads.count = 0;
    t.equal(await userOf(otherToken), 'device_bearer-02');
    t.ok(reads.count > 0, 'read again after the signatures were forgotten');

    // Asked again after its logout, the device gets a new token; it is refused from its exp on.
    const next = await tokenOf(dev);
    t.equal(await userOf(next), 'device_bearer-01');
    const exp = (JSON.parse(Buffer.from(next.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    const nbf = exp - 3600;
    clock.set(nbf * 1000 - 1);
    assertError(t, await me(next), 401, ...BAD);
    clock.set(nbf * 1000);
    t.equal(await userOf(next), 'device_bearer-01', 'valid from its nbf');
    clock.set(exp * 1000 - 1);
    reads.count = 0;
    t.equal(await userOf(next), 'device_bearer-01', 'valid to its last millisecond');
    t.equal(reads.count, 0, 'and kept');
    clock.set(exp * 1000);
    assertError(t, await me(next), 401, ...BAD);
    t.equal(connections(), 1, 'every request over one TLS connection');
  },
);
