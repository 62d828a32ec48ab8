import t from 'tap';
import { device, rootCa } from '../helpers/pki.js';
import { seedWith } from '../helpers/seeds.js';
import { call, requestToken, startServer } from '../helpers/server.js';

/* The security headers docs/security.md lists, on a success and on a refusal; no HSTS on localhost. */
const now = Date.now();
const ca = await rootCa(now, 'Headers CA');
const dev = await device(ca, now, 'headers-01');

const EXPECTED = {
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

t.test('security headers on answers and refusals', async (t) => {
  const server = await startServer(t, {
    seed: seedWith([{ id: 't100', domain: 't100.example.test', pem: ca.certificate.pem }]),
  });
  const answers = {
    'a token': await requestToken(server, { cert: dev.certPem, key: dev.keyPem }),
    'a refused token request': await requestToken(server, {}),
    'an unknown path': await call(server, { path: '/nothing/here' }),
  };
  for (const [name, response] of Object.entries(answers)) {
    t.match(response.headers, EXPECTED, `${name}: helmet's headers`);
    t.notOk('strict-transport-security' in response.headers, `${name}: no HSTS`);
  }
});
