import t from 'tap';
import { deviceCsr, EST_NOW, enroll, estServer, inject, registerWithOtp } from '../helpers/est.js';
import { ADMIN_PASSWORD } from '../helpers/seeds.js';
import type { TestServer } from '../helpers/server.js';
import { ADMIN_SECRET } from '../helpers/server.js';

/*
 * The dashboard's enrollment API through inject: the CA, the devices waiting,
 * the issued certificates with their validity; a tenant administrator sees and
 * acts on their own tenant only.
 */
async function signIn(server: TestServer, credentials: object) {
  const response = await inject(server, {
    method: 'POST',
    url: '/_mock/ui/api/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 200) throw new Error(`sign-in refused: ${response.status} ${response.text}`);
  const cookie = String(response.headers['set-cookie']).split(';')[0]!;
  const { csrfToken } = response.json() as { csrfToken: string };
  return {
    get: (path: string) => inject(server, { url: `/_mock/ui/api/${path}`, headers: { cookie } }),
    post: (path: string) =>
      inject(server, {
        method: 'POST',
        url: `/_mock/ui/api/${path}`,
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: '{}',
      }),
  };
}

interface EnrollmentBody {
  now: number;
  tenants: {
    id: string;
    authority: { subject: string; validity: string; daysLeft: number } | null;
    waiting: { externalId: string; expired: boolean; expiresAt: number }[];
    issued: { externalId: string; kind: string; serialHex: string; validity: string; subject: string }[];
  }[];
}

t.test('the CA, who waits, what was issued; a tenant administrator sees their own tenant', async (t) => {
  const server = await estServer(t);
  const tenantAdmin = await signIn(server, { user: 't100/admin', password: ADMIN_PASSWORD });
  const before = (await tenantAdmin.get('enrollment')).json() as EnrollmentBody;
  t.same(
    before.tenants.map((tenant) => [tenant.id, tenant.authority]),
    [['t100', null]],
    'only t100, no CA yet',
  );

  const created = await tenantAdmin.post('tenants/t100/certificate-authority');
  t.equal(created.status, 201);
  t.match(created.json(), {
    id: 't100',
    authority: { subject: 'CN=t100, O=t100.example.test', validity: 'valid', daysLeft: 1094 },
  });
  t.equal((await tenantAdmin.post('tenants/t100/certificate-authority')).status, 409, 'one CA');
  t.equal((await tenantAdmin.post('tenants/t200/certificate-authority')).status, 403, "not another tenant's");

  await registerWithOtp(server, [
    ['ui-01', 'otp-ui-01'],
    ['ui-02', 'otp-ui-02'],
  ]);
  t.equal((await enroll(server, 'ui-01', 'otp-ui-01', (await deviceCsr('CN=ui-01')).der)).status, 200);
  server.clock.advance(86_400_000);
  // A day on, the session has lapsed: sign in again.
  const again = await signIn(server, { user: 't100/admin', password: ADMIN_PASSWORD });
  const after = (await again.get('enrollment')).json() as EnrollmentBody;
  const t100 = after.tenants[0]!;
  t.same(t100.waiting, [
    {
      externalId: 'ui-02',
      type: 'c8y_Device',
      owner: 'admin',
      createdAt: EST_NOW,
      expiresAt: EST_NOW + 86_400_000,
      expired: true,
    },
  ]);
  t.same(t100.issued, [
    {
      serialHex: EST_NOW.toString(16),
      externalId: 'ui-01',
      kind: 'enroll',
      subject: 'CN=ui-01',
      fingerprint: server.app.services.issuedCertificates.list('t100', 1)[0]!.fingerprint,
      notBefore: Math.floor(EST_NOW / 1000) * 1000,
      notAfter: Math.floor(EST_NOW / 1000) * 1000 + 365 * 86_400_000,
      validity: 'valid',
    },
  ]);

  const mockAdmin = await signIn(server, { secret: ADMIN_SECRET });
  const all = (await mockAdmin.get('enrollment')).json() as EnrollmentBody;
  t.same(
    all.tenants.map((tenant) => tenant.id),
    ['t100', 't200'],
    'the mock administrator sees every tenant',
  );
  t.equal((await inject(server, { url: '/_mock/ui/api/enrollment' })).status, 401, 'a session is needed');
});
