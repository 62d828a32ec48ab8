import type { KeyObject } from 'node:crypto';
import { type Certificate, describeKey } from '../../pki/certificate.js';
import { describeExtensions, type ExtensionDescription } from '../../pki/extension-description.js';
import { Pkcs12Error, Pkcs12PasswordError, readPkcs12 } from '../../pki/pkcs12.js';
import { CliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import {
  assertKeyMatches,
  certificatesIn,
  isPkcs12,
  keyMatches,
  privateKeysIn,
  readInput,
  readPrivateKey,
} from '../inputs.js';

export interface InspectOptions {
  /** For a PKCS#12 keystore. */
  password?: string;
  /** A private key that must belong to the first certificate. */
  key?: string;
  json?: boolean;
}

/** A certificate in the platform's formats (the trusted-certificates API's field names). */
export interface CertificateReport {
  subject: string;
  issuer: string;
  serialNumber: string;
  serialNumberHex: string;
  fingerprint: string;
  algorithmName: string;
  version: number;
  publicKey: string;
  notBefore: string;
  notAfter: string;
  validNow: 'valid' | 'expired' | 'not yet valid';
  extensions: ExtensionDescription[];
}

/** Whether certificate `from` (1-based) is issued by the next one, or, for the last, by itself. */
export interface LinkReport {
  from: number;
  to?: number;
  status: 'verified' | 'failed' | 'unchecked';
  message: string;
}

export interface InspectReport {
  file: string;
  format: 'PEM' | 'DER' | 'PKCS#12';
  certificates: CertificateReport[];
  chain: LinkReport[];
  privateKeys: { key: string; matchesCertificate: number | null }[];
  aliases?: string[];
}

export async function certsInspect(
  file: string,
  options: InspectOptions,
  context: CliContext,
): Promise<InspectReport> {
  const { format, certificates, keys, aliases } = await load(file, options.password);
  if (options.key) assertKeyMatches(certificates[0]!, readPrivateKey(options.key), options.key, file);
  const now = context.clock.now();
  const report: InspectReport = {
    file,
    format,
    certificates: certificates.map((c) => describe(c, now)),
    chain: links(certificates),
    privateKeys: keys.map((key) => {
      const index = certificates.findIndex((c) => keyMatches(c, key));
      return { key: describeKey(key), matchesCertificate: index < 0 ? null : index + 1 };
    }),
    ...(aliases ? { aliases } : {}),
  };
  if (options.json) context.print(JSON.stringify(report, null, 2));
  else for (const line of text(report)) context.print(line);
  return report;
}

interface Loaded {
  format: InspectReport['format'];
  certificates: Certificate[];
  keys: KeyObject[];
  aliases?: string[];
}

async function load(file: string, password: string | undefined): Promise<Loaded> {
  const bytes = readInput(file, 'file');
  if (!bytes.includes('-----BEGIN') && isPkcs12(bytes)) {
    if (password === undefined) {
      throw new CliError(`${file} is a PKCS#12 keystore: give its password with --password`);
    }
    try {
      const contents = await readPkcs12(bytes, password);
      if (contents.certificates.length === 0)
        throw new CliError(`${file}: the keystore holds no certificate`);
      return {
        format: 'PKCS#12',
        certificates: contents.certificates,
        keys: contents.privateKeys,
        aliases: contents.aliases,
      };
    } catch (error) {
      if (error instanceof Pkcs12PasswordError) {
        throw new CliError(`${file}: wrong password for the PKCS#12 keystore (its integrity check failed)`);
      }
      if (error instanceof Pkcs12Error) throw new CliError(`${file}: ${error.message}`);
      throw error;
    }
  }
  const certificates = certificatesIn(bytes, file);
  const pem = bytes.includes('-----BEGIN');
  return { format: pem ? 'PEM' : 'DER', certificates, keys: pem ? privateKeysIn(bytes, file) : [] };
}

function describe(certificate: Certificate, now: number): CertificateReport {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialDecimal,
    serialNumberHex: certificate.serialHex,
    fingerprint: certificate.fingerprint,
    algorithmName: certificate.algorithmName,
    version: certificate.version,
    publicKey: certificate.keyDescription,
    notBefore: new Date(certificate.notBefore).toISOString(),
    notAfter: new Date(certificate.notAfter).toISOString(),
    validNow:
      now < certificate.notBefore ? 'not yet valid' : now > certificate.notAfter ? 'expired' : 'valid',
    extensions: describeExtensions(certificate),
  };
}

function signedBy(certificate: Certificate, issuer: Certificate): boolean {
  return issuer.signed(certificate);
}

/** Each certificate against the next one in the file, as a device's chain is read. */
function links(certificates: Certificate[]): LinkReport[] {
  const reports: LinkReport[] = [];
  certificates.forEach((certificate, index) => {
    const from = index + 1;
    const issuer = certificates[index + 1];
    if (!issuer) {
      if (!certificate.selfIssued) {
        reports.push({
          from,
          status: 'unchecked',
          message: `issued by '${certificate.issuer}', which is not in this file`,
        });
      } else if (signedBy(certificate, certificate)) {
        reports.push({ from, status: 'verified', message: 'self-signed; its signature verifies' });
      } else {
        reports.push({ from, status: 'failed', message: 'self-issued, but its signature does not verify' });
      }
      return;
    }
    const problems: string[] = [];
    if (!certificate.namesIssuer(issuer)) {
      problems.push(`its issuer '${certificate.issuer}' is not the next certificate '${issuer.subject}'`);
    }
    if (!signedBy(certificate, issuer))
      problems.push('the signature does not verify with the next certificate’s key');
    if (!issuer.isCa) problems.push(`'${issuer.subject}' is not a CA`);
    else if (!issuer.allowsCertificateSigning) problems.push(`'${issuer.subject}' lacks keyCertSign`);
    reports.push({
      from,
      to: from + 1,
      status: problems.length === 0 ? 'verified' : 'failed',
      message:
        problems.length === 0
          ? `'${certificate.subject}' is signed by '${issuer.subject}'`
          : problems.join('; '),
    });
  });
  return reports;
}

function text(report: InspectReport): string[] {
  const count = report.certificates.length;
  const lines = [`${report.file}: ${count} certificate${count === 1 ? '' : 's'} (${report.format})`];
  if (report.aliases?.length) lines.push(`aliases: ${report.aliases.join(', ')}`);
  report.certificates.forEach((c, index) => {
    lines.push(
      '',
      `certificate ${index + 1}`,
      `  subject:       ${c.subject}`,
      `  issuer:        ${c.issuer}`,
      `  serialNumber:  ${c.serialNumber} (hex ${c.serialNumberHex})`,
      `  fingerprint:   ${c.fingerprint}`,
      `  algorithmName: ${c.algorithmName}`,
      `  version:       ${c.version}`,
      `  public key:    ${c.publicKey}`,
      `  notBefore:     ${c.notBefore}`,
      `  notAfter:      ${c.notAfter}`,
      `  now:           ${c.validNow}`,
      '  extensions:',
      ...c.extensions.map((e) => `    ${e.name}${e.critical ? ' (critical)' : ''}: ${e.value}`),
    );
  });
  lines.push('', 'chain:');
  for (const link of report.chain) {
    const label = link.to === undefined ? `${link.from}` : `${link.from} -> ${link.to}`;
    const verdict =
      link.status === 'verified' ? 'verifies' : link.status === 'failed' ? 'DOES NOT VERIFY' : 'not checked';
    lines.push(`  ${label}: ${verdict}: ${link.message}`);
  }
  for (const key of report.privateKeys) {
    lines.push(
      `private key (${key.key}): ${
        key.matchesCertificate === null
          ? 'matches none of the certificates'
          : `matches certificate ${key.matchesCertificate}`
      }`,
    );
  }
  return lines;
}
