import t from 'tap';
import { API_SECURITY_HEADERS } from '../../src/http/security-headers.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { call, requestToken, startServer } from '../helpers/server.js';

/*
 * The security headers docs/security.md lists: the REST set on API answers (successes and
 * refusals), helmet's full set on the dashboard; no HSTS anywhere on localhost.
 */
const now = TEST_NOW;
const ca = await rootCa(now, 'Headers CA');
const dev = await device(ca, now, 'headers-01');

const API = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};
const PAGE = {
  'content-security-policy':
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

t.same(API_SECURITY_HEADERS, API, 'the documented API set is the one sent');

t.test('security headers on API answers and refusals, and on the dashboard', async (t) => {
  const server = await startServer(t, {
    seed: seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]),
  });
  const api = {
    'a token': await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
    'a refused token request': await requestToken(server, {}),
    'an unknown path': await call(server, { path: '/nothing/here' }),
  };
  for (const [name, response] of Object.entries(api)) {
    t.match(response.headers, API, `${name}: the REST set`);
    t.notOk('x-xss-protection' in response.headers, `${name}: none of the page headers`);
    t.notOk('strict-transport-security' in response.headers, `${name}: no HSTS`);
  }
  const pages = {
    'the dashboard page': await call(server, { path: '/_mock/ui/' }),
    'a dashboard script': await call(server, { path: '/_mock/ui/app.js' }),
  };
  for (const [name, response] of Object.entries(pages)) {
    t.equal(response.status, 200, name);
    t.match(response.headers, PAGE, `${name}: helmet's headers`);
    t.notOk('strict-transport-security' in response.headers, `${name}: no HSTS`);
  }
});
