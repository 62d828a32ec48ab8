import { readIfExists, writeGenerated } from '../files.js';
import { Certificate } from '../pki/certificate.js';
import {
  type Credential,
  createRootCa,
  exportPrivateKeyPem,
  importPrivateKeyPem,
  type JsonName,
} from '../pki/certificate-factory.js';
import { decodeCertificateBlocks } from '../pki/pem.js';

const DAY = 86_400_000;
const CA_VALIDITY_DAYS = 10 * 365;

/** The first certificate of a PEM file, or undefined when it holds none. */
export function firstCertificate(pem: string): Certificate | undefined {
  const [der] = decodeCertificateBlocks(pem);
  return der ? Certificate.fromDer(der) : undefined;
}

/**
 * A CA the mock keeps in its certificates directory (the development CA, the
 * demo CA): read when both files exist, otherwise made and written, the key
 * readable by the owner only.
 */
export async function loadOrCreateCa(
  certFile: string,
  keyFile: string,
  subject: JsonName,
  now: number,
): Promise<{ ca: Credential; created: boolean }> {
  const pem = readIfExists(certFile);
  const keyPem = readIfExists(keyFile);
  const certificate = pem ? firstCertificate(pem) : undefined;
  if (certificate && keyPem) {
    return { ca: { certificate, keys: await importPrivateKeyPem(keyPem), issuers: [] }, created: false };
  }
  const ca = await createRootCa({
    subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY),
  });
  writeGenerated(certFile, ca.certificate.pem, { force: true });
  writeGenerated(keyFile, await exportPrivateKeyPem(ca.keys.privateKey), { secret: true, force: true });
  return { ca, created: true };
}
