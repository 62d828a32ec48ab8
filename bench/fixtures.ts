import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Certificate } from '../src/pki/certificate.js';
import {
  type Credential,
  commonName,
  createDeviceCertificate,
  createRootCa,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  type KeySpec,
} from '../src/pki/certificate-factory.js';
import { decodeCertificateBlocks } from '../src/pki/pem.js';

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
    const out: DeviceFixture[] = [];
    const batch = 64;
    for (let i = 0; i < count; i += batch) {
      const made = await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
          createDeviceCertificate({
            issuer: signer,
            subject: commonName(`${prefix}-${String(i + j).padStart(7, '0')}`),
            keys,
            notBefore: new Date(now - DAY),
            notAfter: new Date(now + 365 * DAY),
          }),
        ),
      );
      for (const device of made) out.push({ certPem: device.certificate.pem, keyPem });
      progress(out.length);
    }
    return out;
  });
}

/** Many tenants' CAs for the growth scenario (certificates only; their keys are never needed). */
export function manyCas(count: number, now: number, progress: (done: number) => void): Promise<string[]> {
  return cached(`many-cas-${count}.json`, async () => {
    const keys = await generateKeyPair({ type: 'ec' });
    const out: string[] = [];
    const batch = 64;
    for (let i = 0; i < count; i += batch) {
      const made = await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
          createRootCa({
            subject: commonName(`Growth CA ${i + j}`, 'c8y-mtls-mock bench'),
            keys,
            notBefore: new Date(now - DAY),
            notAfter: new Date(now + 3650 * DAY),
          }),
        ),
      );
      for (const c of made) out.push(c.certificate.pem);
      progress(out.length);
    }
    return out;
  });
}
