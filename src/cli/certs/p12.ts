import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileExistsError, writeGenerated } from '../../files.js';
import type { Certificate } from '../../pki/certificate.js';
import { createPkcs12 } from '../../pki/pkcs12.js';
import { CliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { assertKeyMatches, readCertificates, readPrivateKey } from '../inputs.js';
import { fileBase } from './issue.js';

export interface P12Options {
  cert: string;
  key: string;
  /** Issuers to add after the certificate (a chain file with the leaf is fine). */
  chain?: string;
  password: string;
  out?: string;
  alias?: string;
  force?: boolean;
}

/** A PKCS#12 keystore with the key and its chain, for Java's KeyStore ("PKCS12") and keytool. */
export async function certsP12(options: P12Options, context: CliContext): Promise<string> {
  if (!options.password)
    throw new CliError('a keystore needs a password (--password or C8Y_MOCK_P12_PASSWORD)');
  const fromCert = readCertificates(options.cert, 'certificate');
  const leaf = fromCert[0]!;
  const key = readPrivateKey(options.key);
  assertKeyMatches(leaf, key, options.key, options.cert);
  const fromChain = options.chain ? readCertificates(options.chain, 'chain file') : [];
  const certificates = unique([...fromCert, ...fromChain]);
  const alias = options.alias ?? leaf.commonNames[0] ?? 'certificate';
  const out = options.out ?? join(dirname(options.cert), `${fileBase(alias)}.p12`);
  if (!options.force && existsSync(out))
    throw new CliError(`${out} already exists (use --force to overwrite)`);
  const der = await createPkcs12({
    privateKey: key.export({ type: 'pkcs8', format: 'der' }),
    certificates,
    alias,
    password: options.password,
  });
  try {
    writeGenerated(out, der, { secret: true, force: options.force === true });
  } catch (error) {
    if (error instanceof FileExistsError) throw new CliError(error.message);
    throw new CliError(`cannot write: ${(error as Error).message}`);
  }
  context.print(
    `wrote ${out}  PKCS#12 keystore (readable by the owner only): alias '${alias}', ${leaf.keyDescription} key, ${certificates.length} certificate(s): ${certificates.map((c) => `'${c.subject}'`).join(' < ')}`,
  );
  return out;
}

/** The leaf stays first; a certificate in both files is kept once. */
function unique(certificates: Certificate[]): Certificate[] {
  const seen = new Set<string>();
  return certificates.filter((c) => !seen.has(c.fingerprint) && seen.add(c.fingerprint));
}
