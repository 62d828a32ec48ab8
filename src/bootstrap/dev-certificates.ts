import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { readIfExists, writeGenerated } from '../files.js';
import { commonName, createServerCertificate, exportPrivateKeyPem } from '../pki/certificate-factory.js';
import type { ServerCredentials } from '../tls/tls-context.js';
import { FILES } from './dev-certificate-files.js';
import { firstCertificate, loadOrCreateCa } from './local-ca.js';

const DAY = 86_400_000;
/** Browsers and macOS refuse longer-lived server certificates, even from a private CA. */
const SERVER_VALIDITY_DAYS = 397;
const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1'];

export interface DevCertificates extends ServerCredentials {
  /** The file clients must trust. */
  caFile: string;
  /** What happened, for the start-up message. */
  created: string[];
}

/**
 * The mock's own TLS identity: a local development CA and a server certificate
 * for localhost, 127.0.0.1, ::1 and every configured name. Made on first start;
 * the server certificate is re-issued when a configured name is missing or it
 * is about to expire.
 */
export async function ensureDevCertificates(
  certsDir: string,
  hostnames: readonly string[],
  clock: Clock,
): Promise<DevCertificates> {
  const path = (name: string) => join(certsDir, name);
  const created: string[] = [];
  const now = clock.now();
  const names = [...new Set([...DEFAULT_NAMES, ...hostnames])];

  const existingServer = readIfExists(path(FILES.server));
  const existingKey = readIfExists(path(FILES.serverKey));
  if (existingServer && existingKey && serverCovers(existingServer, names, now)) {
    return { key: existingKey, cert: existingServer, caFile: path(FILES.devCa), created };
  }

  const { ca, created: newCa } = await loadOrCreateCa(
    path(FILES.devCa),
    path(FILES.devCaKey),
    commonName('c8y-mtls-mock development CA', 'c8y-mtls-mock'),
    now,
  );
  if (newCa) created.push(`development CA ${path(FILES.devCa)}`);
  const server = await createServerCertificate({
    issuer: ca,
    subject: commonName(names[0]!, 'c8y-mtls-mock'),
    names,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + SERVER_VALIDITY_DAYS * DAY),
  });
  const cert = server.certificate.pem + ca.certificate.pem;
  const key = await exportPrivateKeyPem(server.keys.privateKey);
  writeGenerated(path(FILES.server), cert, { force: true });
  writeGenerated(path(FILES.serverKey), key, { secret: true, force: true });
  created.push(`server certificate ${path(FILES.server)} for ${names.join(', ')}`);
  return { key, cert, caFile: path(FILES.devCa), created };
}

function serverCovers(pem: string, names: string[], now: number): boolean {
  const certificate = firstCertificate(pem);
  if (!certificate || certificate.notAfter - now < 30 * DAY) return false;
  return names.every((name) =>
    /^[\d.]+$/.test(name) || name.includes(':')
      ? certificate.x509.checkIP(name) !== undefined
      : certificate.x509.checkHost(name) !== undefined,
  );
}
