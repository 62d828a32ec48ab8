import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { importPKCS8, jwtVerify, SignJWT } from 'jose';
import t from 'tap';
import { DEVICE_TOKEN_CONFIG, type DeviceTokenClaims, signRs256 } from '../../src/tokens/token-issuer.js';

/*
 * Device tokens are signed with node:crypto directly (issue 19: jose's SignJWT copied and checked
 * the claims on every token). RS256 is deterministic, so the token must be byte for byte the one
 * jose makes from the same claims and key, and verify with jose as every client does.
 */
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const privateKey = (await importPKCS8(pem, 'RS256', { extractable: true })) as webcrypto.CryptoKey;
const claims = (i: number): DeviceTokenClaims => ({
  jti: null,
  iss: 't100.example.test',
  aud: 't100.example.test',
  sub: `device_sensor-${i}`,
  tci: DEVICE_TOKEN_CONFIG,
  iat: 1_700_000_000 + i,
  nbf: 1_700_000_000 + i,
  exp: 1_700_003_600 + i,
  tfa: false,
  ten: 't100',
  xsrfToken: `xsrf-${i}-ü"\\`,
});

t.test('the same token jose signs, for several claims', async (t) => {
  for (let i = 0; i < 5; i++) {
    const ours = await signRs256(claims(i), privateKey);
    const jose = await new SignJWT(claims(i) as unknown as Record<string, unknown>)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(privateKey);
    t.equal(ours, jose, `token ${i}`);
  }
});

t.test('it verifies with the public key, header and claims as signed', async (t) => {
  const jwt = await signRs256(claims(7), privateKey);
  const publicKey = webcrypto.subtle.importKey(
    'jwk',
    {
      ...(await webcrypto.subtle.exportKey('jwk', privateKey)),
      d: undefined,
      p: undefined,
      q: undefined,
      dp: undefined,
      dq: undefined,
      qi: undefined,
      key_ops: ['verify'],
    },
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['verify'],
  );
  const { payload, protectedHeader } = await jwtVerify(jwt, await publicKey, {
    currentDate: new Date(1_700_000_100_000),
  });
  t.same(protectedHeader, { alg: 'RS256', typ: 'JWT' });
  t.same(payload, claims(7));
});

t.test('concurrent signatures each get their own token', async (t) => {
  const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signRs256(claims(i), privateKey)));
  t.equal(new Set(tokens).size, 20);
  for (const [i, jwt] of tokens.entries()) {
    t.equal(JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sub, `device_sensor-${i}`);
  }
});
