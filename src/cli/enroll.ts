import { createPublicKey, type KeyObject, webcrypto } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { FileExistsError, writeGenerated } from '../files.js';
import { Certificate } from '../pki/certificate.js';
import { exportPrivateKeyPem, generateKeyPair } from '../pki/certificate-factory.js';
import { createCsr } from '../pki/csr.js';
import { Pkcs7Error, readCertsOnlyPkcs7 } from '../pki/pkcs7.js';
import { x509 } from '../pki/x509.js';
import { outputPaths, keySpec as parseKeySpec } from './certs/issue.js';
import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import {
  baseUrl,
  describeFailure,
  endpoint,
  type HttpResponse,
  send,
  serverTrust,
  type UrlSource,
} from './http-client.js';
import { assertKeyMatches, readCertificates, readPrivateKey } from './inputs.js';
import { token } from './token.js';

export interface EnrollOptions {
  url: string;
  /** Where --url came from, which a connection error names (default: the command line). */
  urlFrom?: UrlSource;
  cacert?: string;
  id: string;
  otp: string;
  /** Sent as `<tenant>/<id>` when the URL's host is no tenant domain. */
  tenant?: string;
  keyType?: string;
  keySize?: string;
  out?: string;
  name?: string;
  certOut?: string;
  keyOut?: string;
  chainOut?: string;
  force?: boolean;
}

export interface ReenrollOptions {
  url: string;
  /** Where --url came from, which a connection error names (default: the command line). */
  urlFrom?: UrlSource;
  cacert?: string;
  cert: string;
  key: string;
  /** A device token to use instead of getting one over mutual TLS with --cert and --key. */
  token?: string;
  newKey?: boolean;
  keyType?: string;
  keySize?: string;
  certOut?: string;
  keyOut?: string;
}

export interface Enrolled {
  certificate: Certificate;
  files: string[];
}

const ENROLL = '/.well-known/est/simpleenroll';
const REENROLL = '/.well-known/est/simplereenroll';

/**
 * `simpleenroll` as go-c8y sends it: a new key, a CSR with CN = the device ID,
 * Basic `<id>:<one-time password>`, one line of base64 DER with
 * Content-Transfer-Encoding: base64. Writes the key, the certificate and the
 * chain the answer carried (the platform sends the certificate alone).
 */
export async function enroll(options: EnrollOptions, context: CliContext): Promise<Enrolled> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  if (!options.id.trim()) throw new CliError('--id is empty');
  if (!options.otp) throw new CliError('--otp is empty');
  const outputs = outputPaths(options, options.id, true);
  const keys = await generateKeyPair(parseKeySpec(options));
  const csr = await createCsr([{ CN: [options.id] }], keys as CryptoKeyPair);
  const login = options.tenant ? `${options.tenant}/${options.id}` : options.id;
  const target = endpoint(url, ENROLL);
  const response = await post(
    target,
    from,
    `Basic ${Buffer.from(`${login}:${options.otp}`).toString('base64')}`,
    csr,
    options,
  );
  if (response.status !== 200) {
    throw new CliError(`enrollment at ${target.href} failed: ${describeFailure(response)}`);
  }
  const certificates = await certificatesOf(response, target);
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const leaf = leafOf(certificates, spki, target);
  const chain = [leaf, ...certificates.filter((c) => c !== leaf)];
  const files: [string, string, boolean, string][] = [
    [outputs.cert, leaf.pem, false, describe(leaf)],
    [
      outputs.key,
      await exportPrivateKeyPem(keys.privateKey),
      true,
      'its private key (readable by the owner only)',
    ],
    [
      outputs.chain!,
      chain.map((c) => c.pem).join(''),
      false,
      `the certificates of the answer, leaf first (${chain.length})`,
    ],
  ];
  try {
    for (const [path, content, secret] of files)
      writeGenerated(path, content, { secret, force: options.force === true });
  } catch (error) {
    if (error instanceof FileExistsError) throw new CliError(error.message);
    throw new CliError(`cannot write: ${(error as Error).message}`);
  }
  report(files, leaf, context);
  return { certificate: leaf, files: files.map(([path]) => path) };
}

/**
 * `simplereenroll` as thin-edge renews: a token (over mutual TLS with the
 * current certificate, unless --token gives one), a CSR with the current
 * subject and the same key (or a new one with --new-key), `Authorization:
 * Bearer`. The new certificate replaces --cert (and the new key --key) only
 * once it has arrived; the old certificate stays valid until it expires.
 */
export async function reenroll(options: ReenrollOptions, context: CliContext): Promise<Enrolled> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  const current = readCertificates(options.cert, 'device certificate')[0]!;
  const key = readPrivateKey(options.key);
  assertKeyMatches(current, key, options.key, options.cert);
  if (!options.newKey && (options.keyType !== undefined || options.keySize !== undefined)) {
    throw new CliError('--key-type and --key-size apply with --new-key');
  }
  const jwt = options.token?.trim() || (await deviceToken(options));
  const keys = options.newKey
    ? await generateKeyPair(parseKeySpec(options))
    : await signingPair(key, options.key);
  const subject = new x509.X509Certificate(new Uint8Array(current.der)).subjectName;
  const csr = await createCsr(subject, keys as CryptoKeyPair);
  const target = endpoint(url, REENROLL);
  const response = await post(target, from, `Bearer ${jwt}`, csr, options);
  if (response.status !== 200) {
    throw new CliError(`re-enrollment at ${target.href} failed: ${describeFailure(response)}`);
  }
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const leaf = leafOf(await certificatesOf(response, target), spki, target);
  const files: [string, string, boolean, string][] = [
    [options.certOut ?? options.cert, leaf.pem, false, describe(leaf)],
  ];
  if (options.newKey) {
    files.push([
      options.keyOut ?? options.key,
      await exportPrivateKeyPem(keys.privateKey),
      true,
      'its new private key (readable by the owner only)',
    ]);
  }
  replaceAll(files);
  report(files, leaf, context);
  context.print(
    `the previous certificate (serial ${current.serialHex}) stays valid until ${iso(current.notAfter)}`,
  );
  return { certificate: leaf, files: files.map(([path]) => path) };
}

async function deviceToken(options: ReenrollOptions): Promise<string> {
  try {
    return await token(
      {
        url: options.url,
        ...(options.urlFrom ? { urlFrom: options.urlFrom } : {}),
        cert: options.cert,
        key: options.key,
        quiet: true,
        ...(options.cacert ? { cacert: options.cacert } : {}),
      },
      { clock: { now: () => 0 }, print: () => {} },
    );
  } catch (error) {
    if (error instanceof CliError)
      throw new CliError(`${error.message} (re-enrollment needs the device's token; --token gives one)`);
    throw error;
  }
}

function post(
  target: URL,
  from: UrlSource,
  authorization: string,
  csr: Buffer,
  options: { cacert?: string },
): Promise<HttpResponse> {
  const ca = serverTrust(options.cacert);
  return send({
    method: 'POST',
    url: target,
    from,
    headers: {
      authorization,
      'content-type': 'application/pkcs10',
      'content-transfer-encoding': 'base64',
      accept: 'application/pkcs7-mime',
    },
    body: csr.toString('base64'),
    ...(ca ? { ca } : {}),
  });
}

/** The answer's certificates: base64 when Content-Transfer-Encoding says so (go-c8y's rule) or when it reads as base64. */
async function certificatesOf(response: HttpResponse, target: URL): Promise<Certificate[]> {
  const text = response.text.replace(/[\r\n]/g, '');
  const encoded =
    String(response.headers['content-transfer-encoding'] ?? '').toLowerCase() === 'base64' ||
    /^[A-Za-z0-9+/=]+$/.test(text);
  const der = encoded ? Buffer.from(text, 'base64') : Buffer.from(response.text, 'latin1');
  try {
    const certificates = (await readCertsOnlyPkcs7(der)).map((c) => Certificate.fromDer(c));
    if (certificates.length === 0)
      throw new CliError(`${target.href} answered a PKCS#7 without a certificate`);
    return certificates;
  } catch (error) {
    if (error instanceof Pkcs7Error)
      throw new CliError(`${target.href} answered 200, but not with a PKCS#7: ${error.message}`);
    throw error;
  }
}

/** The certificate for our key: the leaf. */
function leafOf(certificates: Certificate[], spki: Buffer, target: URL): Certificate {
  const leaf = certificates.find((c) => c.spki.equals(spki));
  if (!leaf) throw new CliError(`${target.href} answered with no certificate for the key of the request`);
  return leaf;
}

/** A signing key pair for a key read from a file (EC of any named curve, or RSA). */
async function signingPair(key: KeyObject, path: string): Promise<webcrypto.CryptoKeyPair> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  let algorithm: EcKeyImportParams | RsaHashedImportParams;
  if (key.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[
      key.asymmetricKeyDetails?.namedCurve ?? ''
    ];
    if (!curve)
      throw new CliError(
        `${path}: EC curve ${key.asymmetricKeyDetails?.namedCurve} cannot sign a request here`,
      );
    algorithm = { name: 'ECDSA', namedCurve: curve };
  } else if (key.asymmetricKeyType === 'rsa') {
    algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  } else {
    throw new CliError(`${path}: ${key.asymmetricKeyType} keys cannot sign a request here; use --new-key`);
  }
  return {
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']),
  };
}

/** Writes every file beside its target first, then moves them in: no half-renewed pair of files. */
function replaceAll(files: [string, string, boolean, string][]): void {
  const temporary = files.map(([path]) => `${path}.new`);
  try {
    for (const [i, [, content, secret]] of files.entries()) {
      writeGenerated(temporary[i]!, content, { secret, force: true });
    }
    for (const [i, [path]] of files.entries()) renameSync(temporary[i]!, path);
  } catch (error) {
    for (const path of temporary) rmSync(path, { force: true });
    throw new CliError(`cannot write: ${(error as Error).message}`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const describe = (c: Certificate) =>
  `certificate '${c.subject}' issued by '${c.issuer}' (${c.keyDescription}), valid ${iso(c.notBefore)} to ${iso(c.notAfter)}`;

function report(files: [string, string, boolean, string][], leaf: Certificate, context: CliContext): void {
  const width = Math.max(...files.map(([path]) => path.length));
  for (const [path, , , what] of files) context.print(`wrote ${path.padEnd(width)}  ${what}`);
  context.print(`serial ${leaf.serialHex} (${leaf.serialDecimal}), fingerprint ${leaf.fingerprint}`);
}
