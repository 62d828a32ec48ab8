import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Certificate } from '../src/pki/certificate.js';
import {
  type Credential,
  commonName,
  createDeviceCertificate,
  createRootCa,
  createServerCertificate,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  type KeySpec,
} from '../src/pki/certificate-factory.js';
import { readElement } from '../src/pki/der.js';
import { decodeCertificateBlocks, toPem } from '../src/pki/pem.js';

const DAY = 86_400_000;
const CACHE = new URL('.cache/', import.meta.url).pathname;

export interface CaFixture {
  certPem: string;
  keyPem: string;
}

export interface DeviceFixture {
  certPem: string;
  keyPem: string;
}

function cached<T>(name: string, make: () => Promise<T>): Promise<T> {
  const file = join(CACHE, name);
  if (existsSync(file)) return Promise.resolve(JSON.parse(readFileSync(file, 'utf8')) as T);
  return make().then((value) => {
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(file, JSON.stringify(value));
    return value;
  });
}

async function credential(ca: CaFixture): Promise<Credential> {
  const [der] = decodeCertificateBlocks(ca.certPem);
  return { certificate: Certificate.fromDer(der!), keys: await importPrivateKeyPem(ca.keyPem), issuers: [] };
}

/**
 * The profile tools' seed, written to `file`: tenant t100 on `localhost` with its administrator
 * `admin` (`adminPassword`) and `caPem` as a trusted certificate that registers its devices.
 */
export function writeOneTenantSeed(file: string, caPem: string, adminPassword: string): void {
  writeFileSync(
    file,
    JSON.stringify({
      tenants: [
        {
          id: 't100',
          domain: 'localhost',
          users: [{ userName: 'admin', password: adminPassword }],
          trustedCertificates: [{ certInPemFormat: caPem, autoRegistrationEnabled: true }],
        },
      ],
    }),
  );
}

/**
 * A server identity for `localhost`, as the profile tools' servers take it: `key.pem` and
 * `cert.pem` written into `dir`, and the CA that issued it (a client's trust, or a proxy's issuer).
 */
export async function localhostServer(
  dir: string,
  caName: string,
  now: number,
): Promise<{ ca: Credential; keyFile: string; certFile: string }> {
  const serverCa = await createRootCa({
    subject: commonName(caName),
    notBefore: new Date(now - 1e8),
    notAfter: new Date(now + 1e9),
  });
  const cert = await createServerCertificate({
    issuer: serverCa,
    subject: commonName('localhost'),
    names: ['localhost'],
    notBefore: new Date(now - 1e8),
    notAfter: new Date(now + 1e9),
  });
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  writeFileSync(keyFile, await exportPrivateKeyPem(cert.keys.privateKey));
  writeFileSync(certFile, cert.certificate.pem);
  return { ca: serverCa, keyFile, certFile };
}

export function ca(name: string, keySpec: KeySpec, now: number): Promise<CaFixture> {
  return cached(`ca-${name}.json`, async () => {
    const created = await createRootCa({
      subject: commonName(name, 'c8y-mtls-mock bench'),
      keySpec,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
    });
    return { certPem: created.certificate.pem, keyPem: await exportPrivateKeyPem(created.keys.privateKey) };
  });
}

/**
 * Copies of `template` that differ in their CN (`{n}` in `name`, zero-padded to
 * a fixed width, so that no length in the DER changes) and serial, each signed
 * again with `signer`. Making a certificate with the factory takes about 3 ms;
 * a bench fleet of 80,000 would take minutes, stamping takes seconds.
 */
function stamp(
  template: Certificate,
  name: (n: number) => string,
  count: number,
  signer: KeyObject,
): Buffer[] {
  const templateName = Buffer.from(name(0));
  const nameAt: number[] = [];
  for (let at = template.der.indexOf(templateName); at >= 0; at = template.der.indexOf(templateName, at + 1))
    nameAt.push(at);
  if (nameAt.length === 0) throw new Error(`the template has no CN ${name(0)}`);
  const outer = readElement(template.der, 0);
  const tbs = readElement(template.der, outer.contentStart);
  const version = readElement(template.der, tbs.contentStart);
  const serial = readElement(template.der, version.end);
  const algorithm = readElement(template.der, tbs.end);
  const bits = readElement(template.der, algorithm.end);
  const signatureLength = bits.end - bits.contentStart - 1;
  const serialLength = serial.end - serial.contentStart;
  return Array.from({ length: count }, (_, n) => {
    const der = Buffer.from(template.der);
    for (const at of nameAt) der.write(name(n), at, 'latin1');
    // A positive serial of the template's length: 0x40 first, then n.
    der.fill(0, serial.contentStart, serial.end);
    der[serial.contentStart] = 0x40;
    const width = Math.min(6, serialLength - 1);
    der.writeUIntBE(n, serial.end - width, width);
    const signed = der.subarray(tbs.start, tbs.end);
    // An ECDSA signature's DER length varies with its r and s: sign until it fits the template.
    for (;;) {
      const signature = sign('sha256', signed, { key: signer, dsaEncoding: 'der' });
      if (signature.length === signatureLength) {
        signature.copy(der, bits.contentStart + 1);
        return der;
      }
    }
  });
}

const pem = (der: Buffer) => toPem('CERTIFICATE', der);

/**
 * `count` device certificates from `issuer`, sharing one key pair (the bench
 * measures the server, not key generation), each with its own CN and serial.
 */
export function devices(
  issuer: CaFixture,
  prefix: string,
  count: number,
  now: number,
  progress: (done: number) => void,
): Promise<DeviceFixture[]> {
  const issuerFingerprint = Certificate.fromDer(
    decodeCertificateBlocks(issuer.certPem)[0]!,
  ).fingerprint.slice(0, 8);
  return cached(`devices-${issuerFingerprint}-${prefix}-${count}.json`, async () => {
    const signer = await credential(issuer);
    const keys = await generateKeyPair({ type: 'ec' });
    const keyPem = await exportPrivateKeyPem(keys.privateKey);
    const name = (n: number) => `${prefix}-${String(n).padStart(7, '0')}`;
    const template = await createDeviceCertificate({
      issuer: signer,
      subject: commonName(name(0)),
      keys,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
    });
    const out = stamp(template.certificate, name, count, createPrivateKey(issuer.keyPem)).map((der) => ({
      certPem: pem(der),
      keyPem,
    }));
    progress(out.length);
    return out;
  });
}

/** Many tenants' CAs for the growth scenario (certificates only; their keys are never needed). */
export function manyCas(count: number, now: number, progress: (done: number) => void): Promise<string[]> {
  return cached(`many-cas-${count}.json`, async () => {
    const keys = await generateKeyPair({ type: 'ec' });
    const name = (n: number) => `Growth CA ${String(n).padStart(7, '0')}`;
    const template = await createRootCa({
      subject: commonName(name(0), 'c8y-mtls-mock bench'),
      keys,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
    });
    const signer = createPrivateKey(await exportPrivateKeyPem(keys.privateKey));
    const out = stamp(template.certificate, name, count, signer).map(pem);
    progress(out.length);
    return out;
  });
}
