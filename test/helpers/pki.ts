import {
  type Credential,
  chainPem,
  commonName,
  createDeviceCertificate,
  createIntermediateCa,
  createRootCa,
  exportPrivateKeyPem,
  type IssueParams,
  type KeySpec,
} from '../../src/pki/certificate-factory.js';
import { formatChainHeader } from '../../src/pki/chain-header.js';
import { hasRsaFixture, nextRsaKeys } from './keys.js';

export const DAY = 86_400_000;

/**
 * Validity far around any date a test picks, for certificates a server process checks against
 * the real time (its clock is the system's) or that curl and openssl check.
 */
export const ALWAYS = {
  notBefore: new Date('2020-01-01T00:00:00Z'),
  notAfter: new Date('2099-12-31T00:00:00Z'),
};

/** Validity around `now`: from a day before to a year after. */
export const validAround = (now: number, days = 365) => ({
  notBefore: new Date(now - DAY),
  notAfter: new Date(now + days * DAY),
});

export interface TestDevice {
  credential: Credential;
  certPem: string;
  keyPem: string;
  /** Leaf and every issuer, PEM. */
  chainPem: string;
}

/** An RSA keySpec is served from the fixture keys (helpers/keys.ts) unless keys are given. */
async function withKeys<T extends Partial<IssueParams>>(extra: T): Promise<T> {
  const spec = extra.keySpec;
  if (extra.keys || spec?.type !== 'rsa' || !hasRsaFixture(spec.bits)) return extra;
  return { ...extra, keys: await nextRsaKeys(spec.bits) };
}

export async function rootCa(
  now: number,
  name = 'Test Root CA',
  extra: Partial<IssueParams> & { pathLen?: number } = {},
) {
  return createRootCa({
    subject: commonName(name, 'c8y-mtls-mock tests'),
    ...validAround(now, 3650),
    ...(await withKeys(extra)),
  });
}

export async function intermediateCa(
  issuer: Credential,
  now: number,
  name = 'Test Intermediate CA',
  extra: Partial<IssueParams> & { pathLen?: number } = {},
) {
  return createIntermediateCa({
    issuer,
    subject: commonName(name, 'c8y-mtls-mock tests'),
    ...validAround(now, 3650),
    ...(await withKeys(extra)),
  });
}

export async function device(
  issuer: Credential,
  now: number,
  cn: string,
  extra: Partial<IssueParams> & { keySpec?: KeySpec } = {},
): Promise<TestDevice> {
  const credential = await createDeviceCertificate({
    issuer,
    subject: commonName(cn),
    ...validAround(now),
    ...(await withKeys(extra)),
  });
  return {
    credential,
    certPem: credential.certificate.pem,
    keyPem: await exportPrivateKeyPem(credential.keys.privateKey),
    chainPem: chainPem(credential),
  };
}

/** The one-line X-Ssl-Cert-Chain value for certificates in PEM. */
export const header = (...pems: string[]) => formatChainHeader(pems.join(''));
