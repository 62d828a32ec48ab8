import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { isPkcs12 } from '../../src/cli/inputs.js';
import { createPkcs12, Pkcs12Error, Pkcs12PasswordError, readPkcs12 } from '../../src/pki/pkcs12.js';
import { TEST_NOW } from '../helpers/clock.js';
import { device, intermediateCa, rootCa } from '../helpers/pki.js';

const now = TEST_NOW;
const root = await rootCa(now, 'P12 Root');
const issuing = await intermediateCa(root, now, 'P12 Issuing');

for (const keySpec of [{ type: 'ec' }, { type: 'rsa', bits: 2048 }] as const) {
  t.test(`${keySpec.type}: what is written reads back with the password`, async (t) => {
    const leaf = (await device(issuing, now, `p12-${keySpec.type}`, { keySpec })).credential;
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leaf.keys.privateKey));
    const der = await createPkcs12({
      privateKey: pkcs8,
      certificates: [leaf.certificate, issuing.certificate, root.certificate],
      alias: 'my device',
      password: 'pässwörd',
    });
    t.ok(isPkcs12(der), 'recognised as PKCS#12 without opening it');
    const back = await readPkcs12(der, 'pässwörd');
    t.same(
      back.certificates.map((c) => c.fingerprint),
      [leaf.certificate, issuing.certificate, root.certificate].map((c) => c.fingerprint),
      'the leaf first, then its issuers',
    );
    t.same(back.aliases, ['my device']);
    t.equal(back.privateKeys.length, 1);
    t.same(back.privateKeys[0]!.export({ type: 'pkcs8', format: 'der' }), pkcs8, 'the same key');
    await t.rejects(readPkcs12(der, 'password'), Pkcs12PasswordError, 'a wrong password is told apart');
  });
}

t.test('not a keystore', async (t) => {
  t.notOk(isPkcs12(root.certificate.der), 'a certificate is not a keystore');
  t.notOk(isPkcs12(Buffer.from('hello')));
  await t.rejects(readPkcs12(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03]), 'x'), Pkcs12Error);
});

t.test('keystores as OpenSSL writes them with other options (test/fixtures/pkcs12)', async (t) => {
  const read = (name: string) =>
    readPkcs12(readFileSync(new URL(`../fixtures/pkcs12/${name}.p12`, import.meta.url)), 'pw');
  const plain = await read('unencrypted');
  t.same(
    plain.certificates.map((c) => c.commonNames[0]),
    ['p12-variants'],
    'certificates stored in the clear',
  );
  t.equal(plain.privateKeys.length, 1, 'and a key stored in the clear (keyBag)');
  await t.rejects(read('md5-mac'), {
    name: 'Pkcs12Error',
    message:
      /^unreadable keystore \(Unsupported algorithm identifier for digestAlgorithm : 1\.2\.840\.113549\.2\.5\)$/,
  });
  await t.rejects(read('rc2-certificates'), {
    name: 'Pkcs12Error',
    message: /^cannot decrypt the keystore’s content \(.*1\.2\.840\.113549\.1\.12\.1\.6\)$/,
  });
  await t.rejects(read('rc4-key'), {
    name: 'Pkcs12Error',
    message: /^cannot decrypt the private key \(.*1\.2\.840\.113549\.1\.12\.1\.1\)$/,
  });
  await t.rejects(
    createPkcs12({ privateKey: Buffer.alloc(0), certificates: [], alias: 'x', password: 'x' }),
    new Pkcs12Error('a keystore needs the key’s certificate'),
  );
});
