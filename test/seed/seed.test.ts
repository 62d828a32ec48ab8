import { scryptSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadSeedFile, parseSeed, SeedError } from '../../src/seed/seed.js';
import { hashPassword, PasswordVerifier, SCRYPT_COST } from '../../src/tenants/passwords.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, rootCa } from '../helpers/pki.js';
import { startServer } from '../helpers/server.js';

const now = TEST_NOW;
const ca = await rootCa(now, 'Seed CA');
const leafOnly = await device(ca, now, 'not-a-ca');

const tenant = (extra: Record<string, unknown> = {}) => ({
  id: 't100',
  domain: 't100.example.test',
  ...extra,
});

t.test('validation errors name the bad field', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [], /seed\.json: \(top level\): must be object/],
    ['missing tenants', {}, /missing field "tenants"/],
    ['unknown field', { tenants: [tenant({ colour: 'blue' })] }, /tenants\[0\]: unknown field "colour"/],
    [
      'bad status',
      { tenants: [tenant({ trustedCertificates: [{ certInPemFormat: 'x', status: 'ON' }] })] },
      /tenants\[0\]\.trustedCertificates\[0\]\.status: must be "ENABLED" or "DISABLED"/,
    ],
    [
      'bad domain',
      { tenants: [tenant({ domain: 'has space' })] },
      /tenants\[0\]\.domain: must match pattern/,
    ],
    [
      'option value not a string',
      { tenants: [tenant({ options: [{ category: 'a', key: 'b', value: 3 }] })] },
      /tenants\[0\]\.options\[0\]\.value: must be string/,
    ],
    [
      'both certificate sources',
      { tenants: [tenant({ trustedCertificates: [{ certInPemFormat: 'x', certFile: 'y' }] })] },
      /tenants\[0\]\.trustedCertificates\[0\]: give exactly one of certInPemFormat and certFile/,
    ],
    [
      'neither certificate source',
      { tenants: [tenant({ trustedCertificates: [{ name: 'n' }] })] },
      /give exactly one/,
    ],
    [
      'duplicate tenant',
      { tenants: [tenant(), tenant({ domain: 'other.example.test' })] },
      /tenants\[1\]\.id: tenant t100 appears twice/,
    ],
    [
      'duplicate domain',
      { tenants: [tenant(), tenant({ id: 't200' })] },
      /tenants\[1\]\.domain: domain t100\.example\.test appears twice/,
    ],
    [
      'bad device id',
      { tenants: [tenant({ devices: [{ externalId: 'a:b' }] })] },
      /tenants\[0\]\.devices\[0\]\.externalId: .*not allowed in a device ID/,
    ],
  ];
  for (const [name, data, message] of cases) {
    t.throws(() => parseSeed(data, 'seed.json'), SeedError, name);
    try {
      parseSeed(data, 'seed.json');
    } catch (error) {
      t.match((error as Error).message, message, name);
    }
  }
});

t.test('rules of the APIs apply to seeded certificates and options', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      'not a CA',
      { tenants: [tenant({ trustedCertificates: [{ certInPemFormat: leafOnly.certPem }] })] },
      /tenants\[0\]\.trustedCertificates\[0\]: Certificate is not a CA certificate/,
    ],
    [
      'unparsable',
      { tenants: [tenant({ trustedCertificates: [{ certInPemFormat: 'MIIB' }] })] },
      /tenants\[0\]\.trustedCertificates\[0\]: Cannot parse certificate/,
    ],
    [
      'lifespan below the minimum',
      {
        tenants: [
          tenant({
            options: [{ category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: '60' }],
          }),
        ],
      },
      /tenants\[0\]\.options\[0\]\.value: .*at least 300 seconds/,
    ],
    [
      'same CA in two tenants',
      {
        tenants: [
          tenant({ trustedCertificates: [{ certInPemFormat: ca.certificate.pem }] }),
          {
            id: 't200',
            domain: 't200.example.test',
            trustedCertificates: [{ certInPemFormat: ca.certificate.pem }],
          },
        ],
      },
      /tenants\[1\]\.trustedCertificates\[0\]: Duplicate/,
    ],
  ];
  for (const [name, data, message] of cases) {
    const server = await startServer(t, { listen: false });
    await t.rejects(
      server.app.services.seeder.apply(parseSeed(data, 'seed.json'), 'seed.json'),
      { message },
      name,
    );
    t.equal(server.store.listTenants().length, 0, `${name}: nothing was written`);
    t.equal(server.app.services.seeder.isSeeded(), false);
    t.equal(server.app.services.trust.index().size, 0, `${name}: the trust index holds nothing`);
  }
});

t.test('a seed file with certFile relative to it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'c8y-seed-'));
  writeFileSync(join(dir, 'ca.pem'), ca.certificate.pem);
  writeFileSync(
    join(dir, 'seed.json'),
    JSON.stringify({
      tenants: [
        tenant({
          users: [{ userName: 'admin', password: 'seed-file-password' }],
          trustedCertificates: [{ certFile: 'ca.pem', autoRegistrationEnabled: true }],
          devices: [{ externalId: 'd-1' }],
        }),
      ],
    }),
  );
  const seed = loadSeedFile(join(dir, 'seed.json'));
  const server = await startServer(t, { listen: false });
  await server.app.services.seeder.apply(seed, 'seed.json');
  t.equal(server.app.services.seeder.isSeeded(), true);
  const [trusted] = server.app.services.trust.list('t100');
  t.equal(trusted?.record.fingerprint, ca.certificate.fingerprint);
  t.equal(trusted?.record.name, 'Seed CA', 'the name defaults to the CN');
  t.equal(trusted?.record.autoRegistrationEnabled, true);
  t.equal(server.app.services.devices.get('t100', 'd-1')?.userName, 'device_d-1');
  // A password long enough that a random salt or hash cannot contain it by chance ('pw' did, now and then).
  const stored = server.store.getUser('t100', 'admin')?.passwordHash;
  t.match(stored, /^scrypt\$/, 'the password is stored hashed');
  t.notMatch(stored, /seed-file-password/, 'and not in clear');

  writeFileSync(
    join(dir, 'missing.json'),
    JSON.stringify({ tenants: [tenant({ trustedCertificates: [{ certFile: 'nope.pem' }] })] }),
  );
  t.throws(
    () => loadSeedFile(join(dir, 'missing.json')),
    /tenants\[0\]\.trustedCertificates\[0\]\.certFile: cannot read .*nope\.pem \(ENOENT\)/,
  );
  writeFileSync(join(dir, 'broken.json'), '{ "tenants": [');
  t.throws(() => loadSeedFile(join(dir, 'broken.json')), /broken\.json is not valid JSON/);
  t.throws(() => loadSeedFile(join(dir, 'absent.json')), /cannot read seed file .*absent\.json: ENOENT/);
});

/*
 * The seed's passwords hashed at the cost the mock uses. Test servers seed their users at a cheap
 * cost (helpers/server.ts): the same code, with the work factor that only makes guessing slow.
 */

t.test('a password is stored as scrypt at the interactive cost, salted, never in clear', async (t) => {
  t.same(SCRYPT_COST, { N: 16384, r: 8, p: 1 });
  const stored = await hashPassword('correct horse battery staple');
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  t.same([scheme, n, r, p], ['scrypt', '16384', '8', '1']);
  t.equal(Buffer.from(salt!, 'base64').length, 16, '16 bytes of salt');
  t.notMatch(stored, /horse/, 'not in clear');
  const expected = scryptSync('correct horse battery staple', Buffer.from(salt!, 'base64'), 32, {
    N: 16384,
    r: 8,
    p: 1,
    maxmem: 64 * 1024 * 1024,
  });
  t.equal(hash, expected.toString('base64'), 'the key is scrypt of the password and the salt');
  t.not(await hashPassword('correct horse battery staple'), stored, 'a new salt each time');
});

t.test('a check uses the cost written in the hash; wrong, tampered and malformed hashes fail', async (t) => {
  const verifier = new PasswordVerifier();
  const real = await hashPassword('s3cret');
  t.equal(await verifier.verify('s3cret', real), true);
  t.equal(await verifier.verify('s3cret', real), true, 'again, from memory');
  t.equal(await verifier.verify('S3cret', real), false, 'another password');

  const cheap = await hashPassword('s3cret', { N: 2, r: 1, p: 1 });
  t.match(cheap, /^scrypt\$2\$1\$1\$/);
  t.equal(await verifier.verify('s3cret', cheap), true, 'checked at the cost it was made with');
  const [head, salt, hash] = [
    cheap.split('$').slice(0, 4).join('$'),
    cheap.split('$')[4],
    cheap.split('$')[5]!,
  ];
  t.equal(
    await new PasswordVerifier().verify('s3cret', `${head}$${salt}$${hash.slice(0, -4)}AAA=`),
    false,
    'tampered',
  );
  t.equal(
    await verifier.verify('s3cret', real.replace('scrypt$16384', 'scrypt$1024')),
    false,
    'cost changed',
  );
  t.equal(await verifier.verify('s3cret', 'plain:s3cret'), false, 'not a hash');
  t.equal(await verifier.verify('s3cret', 'scrypt$16384$8$1$'), false, 'parts missing');
});
