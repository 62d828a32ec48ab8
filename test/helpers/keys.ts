import { createPrivateKey, type KeyObject, type webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { importPrivateKeyPem } from '../../src/pki/certificate-factory.js';

/*
 * RSA keys made once (test/fixtures/keys/README.md), handed out in turn: a test that needs an
 * RSA certificate or a token signing key gets one in a millisecond instead of making one in a
 * tenth of a second or more. Consecutive requests get different keys, up to the number of
 * fixtures of that size.
 */
const FIXTURES: Record<number, number> = { 2048: 8, 3072: 1 };
const next: Record<number, number> = { 2048: 0, 3072: 0 };

/** Whether fixtures of this size exist. */
export const hasRsaFixture = (bits: number) => (FIXTURES[bits] ?? 0) > 0;

/** The PEM (PKCS#8) of the `index`th fixture key of `bits` bits. */
export function rsaPem(bits: number, index: number): string {
  const count = FIXTURES[bits];
  if (!count) throw new Error(`no RSA-${bits} key among the fixtures`);
  return readFileSync(
    new URL(`../fixtures/keys/rsa-${bits}-${(index % count) + 1}.pem`, import.meta.url),
    'utf8',
  );
}

/** The next fixture key of `bits` bits, as node:crypto keys. */
export function nextRsaKeyObject(bits: number): KeyObject {
  return createPrivateKey(rsaPem(bits, next[bits]!++));
}

/** The next fixture key of `bits` bits, as the WebCrypto pair the certificate factory signs with. */
export function nextRsaKeys(bits: number): Promise<webcrypto.CryptoKeyPair> {
  return importPrivateKeyPem(rsaPem(bits, next[bits]!++));
}
