import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { TEST_NOW } from '../helpers/clock.js';
import { device, header, intermediateCa, rootCa } from '../helpers/pki.js';
import { basic, seedWith } from '../helpers/seeds.js';
import { ADMIN_SECRET, call, type Endpoint, INFO, requestToken, startServer } from '../helpers/server.js';

/*
 * The platform's two HTTPS doors: the mTLS door (8443) asks for client certificates and serves the
 * token endpoint; the API door (443) is server-side TLS only and serves the rest. A client that
 * takes a base URL and derives the token URL from its host and the mTLS port (go-c8y: the host
 * plus ":8443") works against the mock's two listeners.
 */
const now = TEST_NOW;
const root = await rootCa(now, 'Doors Root CA');
const issuing = await intermediateCa(root, now, 'Doors Issuing CA');
const dev = await device(issuing, now, 'doors-device-01');
const seed = seedWith([{ id: 't100', domain: 't100.example.test', pem: root.certificate.pem }]);
const chain = header(issuing.certificate.pem);

const run = promisify(execFile);

/** Whether a door asks for a client certificate: `openssl s_client` lists the certificate types asked for (TLS 1.2). */
async function asksForCertificate(port: number): Promise<boolean> {
  const { stdout } = await run('sh', [
    '-c',
    `echo | openssl s_client -connect 127.0.0.1:${port} -servername localhost -tls1_2 2>/dev/null`,
  ]);
  return stdout.includes('Client Certificate Types');
}

/** go-c8y's device token call: the base URL's host, the mTLS port, the docs' request. */
function tokenUrlOf(baseUrl: string, mtlsPort: number): URL {
  const url = new URL('/devicecontrol/deviceAccessToken', baseUrl);
  url.port = String(mtlsPort); // go-c8y: always 8443; here the mTLS door's ephemeral port
  return url;
}

t.test(
  'a go-c8y-style client: token on the mTLS door, current user and logout on the API door',
  async (t) => {
    const server = await startServer(t, { listen: true, apiDoor: true, seed });
    const api = server.api!;
    const base = api.origin;
    const tokenUrl = tokenUrlOf(base, server.port);
    t.equal(tokenUrl.port, String(server.port));
    t.not(server.port, api.port, 'two listeners');

    const token = await requestToken(
      { port: Number(tokenUrl.port), serverCa: server.serverCa, transport: 'tls' },
      { cert: dev.certPem, key: dev.keyPem, chainHeader: chain },
    );
    t.equal(token.status, 200, 'the token from the mTLS door');
    const { accessToken } = token.json() as { accessToken: string };
    const decision = server.app.services.decisions.list()[0]!;
    t.match(decision, { door: 'rest', listener: 'mtls', outcome: 'issued' }, 'the decision names the door');

    const bearer = { authorization: `Bearer ${accessToken}` };
    const me = await call(api, {
      path: '/user/currentUser',
      headers: { ...bearer, accept: 'application/json' },
    });
    t.equal(me.status, 200, 'current user on the API door');
    t.match(me.json(), { userName: 'device_doors-device-01' });
    const logout = await call(api, {
      method: 'POST',
      path: '/user/logout',
      headers: { ...bearer, 'content-type': 'application/json' },
    });
    t.ok([200, 204].includes(logout.status), `logout on the API door (${logout.status})`);
    const after = await call(api, { path: '/user/currentUser', headers: bearer });
    t.equal(after.status, 401, 'the token is ended for both doors');
    t.equal(
      (await call(server, { path: '/user/currentUser', headers: bearer })).status,
      401,
      'and on the mTLS door',
    );
  },
);

t.test('the API door asks for no client certificate; its token endpoint says where to go', async (t) => {
  const server = await startServer(t, { listen: true, apiDoor: true, seed });
  const api = server.api!;
  // Over a real handshake: the client offers its certificate, the API door never asks for it.
  const refused = await requestToken(api, { cert: dev.certPem, key: dev.keyPem, chainHeader: chain });
  t.equal(refused.status, 401);
  t.match(refused.json(), { error: 'security/Unauthorized', message: 'Invalid certificate chain!' });
  t.match(server.app.services.decisions.list()[0], {
    listener: 'api',
    rule: 'certificate-present',
    reason: /this is the API door.*mTLS door/,
  });

  // The administration APIs and the dashboard answer on the API door.
  const admin = await call(api, {
    path: '/tenant/tenants/t100/trusted-certificates',
    headers: { authorization: basic('t100/admin'), accept: 'application/json' },
  });
  t.equal(admin.status, 200);
  t.equal((await call(api, { path: '/_mock/health' })).status, 200);
  t.equal((await call(api, { path: '/' })).status, 200, 'the dashboard');

  t.equal(await asksForCertificate(server.port), true, 'the mTLS door asks for a certificate');
  t.equal(await asksForCertificate(api.port), false, 'the API door does not');
});

t.test('one door serving everything: a 404 without the hint', async (t) => {
  const server = await startServer(t, { seed });
  const missing = await call(server, { path: '/nowhere' });
  t.equal(missing.status, 404);
  t.same(missing.json(), { error: 'general/Not Found', message: 'No resource at GET /nowhere.', info: INFO });
});

t.test('--mtls-serves token: the mTLS door serves the token endpoint alone', async (t) => {
  const server = await startServer(t, { seed, apiDoor: true, config: { mtlsServes: 'token' } });
  const token = await requestToken(server, { cert: dev.certPem, key: dev.keyPem, chainHeader: chain });
  t.equal(token.status, 200);
  const { accessToken } = token.json() as { accessToken: string };
  const elsewhere = await call(server, {
    path: '/user/currentUser',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  t.equal(elsewhere.status, 404, 'nothing else on the mTLS door');
  t.match(String(elsewhere.headers['content-type']), /cumulocity\.error\+json/);
  // The 404 says where the APIs went, in the platform's body.
  const hint =
    /^No resource at GET \/user\/currentUser\. This door serves only the token endpoint \(--mtls-serves token\); the APIs, the control API and the dashboard are on the API door \(--api-port\)\.$/;
  t.same(Object.keys(elsewhere.json() as object), ['error', 'message', 'info']);
  t.match(elsewhere.json(), { error: 'general/Not Found', message: hint, info: INFO });
  const control = await call(server, {
    path: '/_mock/clock',
    headers: { authorization: `Bearer ${ADMIN_SECRET}` },
  });
  t.equal(control.status, 404);
  t.match(
    (control.json() as { message: string }).message,
    /^No resource at GET \/_mock\/clock\. .*\(--api-port\)/,
  );
  const apiMissing = await call(server.api as Endpoint, { path: '/nowhere' });
  t.equal(apiMissing.status, 404);
  t.equal(
    (apiMissing.json() as { message: string }).message,
    'No resource at GET /nowhere.',
    'no hint on the API door',
  );
  const onApi = await call(server.api as Endpoint, {
    path: '/user/currentUser',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  t.equal(onApi.status, 200, 'the API door serves it');
});
