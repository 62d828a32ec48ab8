import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { readIfExists, writeGenerated } from '../files.js';
import {
  chainPem,
  commonName,
  createDeviceCertificate,
  exportPrivateKeyPem,
} from '../pki/certificate-factory.js';
import type { Seed } from '../seed/seed.js';
import { firstCertificate, loadOrCreateCa } from './local-ca.js';

export const DEMO = {
  tenantId: 't100',
  /** The tenant's domain is where clients reach it: tokens' iss and aud match the URL. */
  domain: 'localhost',
  admin: 'admin',
  deviceId: 'demo-device-0001',
  files: {
    ca: 'demo-ca.pem',
    caKey: 'demo-ca.key',
    device: 'demo-device.pem',
    deviceKey: 'demo-device.key',
    deviceChain: 'demo-device-chain.pem',
    seed: 'demo-seed.json',
  },
} as const;

const DAY = 86_400_000;

export interface Demo {
  seedFile: string;
  adminPassword: string;
  deviceCert: string;
  deviceKey: string;
  deviceChain: string;
  created: string[];
}

/**
 * What `npm start` without a seed gives a device developer: a demo tenant
 * trusting a demo CA (auto-registration on), and a ready device certificate.
 * Existing files are kept; an expired device certificate is renewed.
 */
export async function ensureDemo(certsDir: string, clock: Clock): Promise<Demo> {
  const path = (name: string) => join(certsDir, name);
  const { files } = DEMO;
  const now = clock.now();
  const created: string[] = [];

  const { ca, created: newCa } = await loadOrCreateCa(
    path(files.ca),
    path(files.caKey),
    commonName('Demo Device CA', 'c8y-mtls-mock demo'),
    now,
  );
  if (newCa) created.push(`demo CA ${path(files.ca)}`);

  const devicePem = readIfExists(path(files.device));
  const current = devicePem ? firstCertificate(devicePem) : undefined;
  if (
    !current ||
    current.notAfter < now + DAY ||
    current.issuerKey !== ca.certificate.subjectKey ||
    !readIfExists(path(files.deviceKey))
  ) {
    const device = await createDeviceCertificate({
      issuer: ca,
      subject: commonName(DEMO.deviceId),
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
    });
    writeGenerated(path(files.device), device.certificate.pem, { force: true });
    writeGenerated(path(files.deviceKey), await exportPrivateKeyPem(device.keys.privateKey), {
      secret: true,
      force: true,
    });
    writeGenerated(path(files.deviceChain), chainPem(device), { force: true });
    created.push(`demo device certificate ${path(files.device)} (CN=${DEMO.deviceId})`);
  }

  let adminPassword: string;
  const seedText = readIfExists(path(files.seed));
  const existing = seedText ? (JSON.parse(seedText) as Seed) : undefined;
  const password = existing?.tenants[0]?.users?.[0]?.password;
  if (password) {
    adminPassword = password;
  } else {
    adminPassword = randomBytes(12).toString('base64url');
    const seed: Seed = {
      tenants: [
        {
          id: DEMO.tenantId,
          domain: DEMO.domain,
          users: [{ userName: DEMO.admin, password: adminPassword }],
          options: [{ category: 'oauth.internal', key: 'device-token.lifespan.seconds', value: '3600' }],
          trustedCertificates: [
            { name: 'Demo Device CA', certFile: files.ca, status: 'ENABLED', autoRegistrationEnabled: true },
          ],
          devices: [],
        },
      ],
    };
    writeGenerated(path(files.seed), `${JSON.stringify(seed, null, 2)}\n`, { secret: true, force: true });
    created.push(`demo seed ${path(files.seed)}`);
  }
  return {
    seedFile: path(files.seed),
    adminPassword,
    deviceCert: path(files.device),
    deviceKey: path(files.deviceKey),
    deviceChain: path(files.deviceChain),
    created,
  };
}
