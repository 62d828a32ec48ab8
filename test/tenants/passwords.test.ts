import { scryptSync } from 'node:crypto';
import t from 'tap';
import { hashPassword, PasswordVerifier, SCRYPT_COST } from '../../src/tenants/passwords.js';

/*
 * The password hashing at the cost the mock uses. Test servers seed their users at a cheap cost
 * (helpers/server.ts): the same code, with the work factor that only makes guessing slow.
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
