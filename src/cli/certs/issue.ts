import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { FileExistsError, writeGenerated } from '../../files.js';
import type { Certificate } from '../../pki/certificate.js';
import {
  type Credential,
  chainPem,
  commonName,
  createDeviceCertificate,
  createIntermediateCa,
  createRootCa,
  createServerCertificate,
  exportPrivateKeyPem,
  importPrivateKeyPem,
  type KeySpec,
} from '../../pki/certificate-factory.js';
import { CliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { DEFAULT_DAYS, DEFAULT_SERVER_NAMES } from '../defaults.js';
import { assertKeyMatches, readCertificates, readPrivateKey } from '../inputs.js';
import { resolveValidity, type ValidityOptions } from '../validity.js';

export interface KeyOptions {
  keyType?: string;
  keySize?: string;
}

export interface OutputOptions {
  /** Directory for files named after the CN (default: the current one). */
  out?: string;
  /** Base of the file names instead of the CN. */
  name?: string;
  certOut?: string;
  keyOut?: string;
  chainOut?: string;
  force?: boolean;
}

export interface SubjectOptions {
  cn?: string;
  org?: string;
}

export type IssueOptions = KeyOptions & OutputOptions & SubjectOptions & ValidityOptions;

export interface SignerOptions {
  ca: string;
  caKey: string;
}

export interface CaOptions extends IssueOptions {
  pathLen?: number;
}

export type IntermediateOptions = CaOptions & SignerOptions;
export type DeviceOptions = IssueOptions & SignerOptions;
export interface ServerOptions extends IssueOptions, SignerOptions {
  san?: string[];
}

const RSA_SIZES = ['2048', '3072', '4096'];

/** Files written by a command, for its report and its tests. */
export interface Written {
  certificate: Certificate;
  files: string[];
}

export async function certsCa(options: CaOptions, context: CliContext): Promise<Written> {
  const cn = options.cn ?? 'Device Root CA';
  const outputs = outputPaths(options, cn, false);
  const credential = await createRootCa({
    subject: commonName(cn, options.org),
    keySpec: keySpec(options),
    ...resolveValidity(options, DEFAULT_DAYS.ca, context.clock.now()),
    ...(options.pathLen === undefined ? {} : { pathLen: options.pathLen }),
  });
  return write(credential, outputs, 'root CA', options, context);
}

export async function certsIntermediate(options: IntermediateOptions, context: CliContext): Promise<Written> {
  const cn = options.cn ?? 'Device Issuing CA';
  const outputs = outputPaths(options, cn, true);
  const issuer = await loadSigner(options, 'ca');
  const credential = await createIntermediateCa({
    issuer,
    subject: commonName(cn, options.org),
    keySpec: keySpec(options),
    ...resolveValidity(options, DEFAULT_DAYS.intermediate, context.clock.now()),
    ...(options.pathLen === undefined ? {} : { pathLen: options.pathLen }),
  });
  return write(credential, outputs, 'intermediate CA', options, context);
}

export async function certsDevice(options: DeviceOptions, context: CliContext): Promise<Written> {
  if (!options.cn) throw new CliError('a device certificate needs --cn <device id>');
  const outputs = outputPaths(options, options.cn, true);
  const issuer = await loadSigner(options, 'end-entity');
  const credential = await createDeviceCertificate({
    issuer,
    subject: commonName(options.cn, options.org),
    keySpec: keySpec(options),
    ...resolveValidity(options, DEFAULT_DAYS.device, context.clock.now()),
  });
  return write(credential, outputs, 'device certificate', options, context);
}

export async function certsServer(options: ServerOptions, context: CliContext): Promise<Written> {
  const names = options.san?.length ? options.san : DEFAULT_SERVER_NAMES;
  for (const name of names) {
    if (
      !isIP(name) &&
      !/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/.test(
        name,
      )
    ) {
      throw new CliError(`--san '${name}' is neither a DNS name nor an IP address`);
    }
  }
  const cn = options.cn ?? names[0]!;
  const outputs = outputPaths(options, cn, true);
  const issuer = await loadSigner(options, 'end-entity');
  const credential = await createServerCertificate({
    issuer,
    subject: commonName(cn, options.org),
    names,
    keySpec: keySpec(options),
    ...resolveValidity(options, DEFAULT_DAYS.server, context.clock.now()),
  });
  return write(credential, outputs, `server certificate for ${names.join(', ')}`, options, context);
}

export function keySpec(options: KeyOptions): KeySpec {
  const type = options.keyType ?? 'ec';
  if (type === 'ec') {
    if (options.keySize !== undefined) throw new CliError('--key-size applies to RSA keys (--key-type rsa)');
    return { type: 'ec' };
  }
  if (type !== 'rsa') throw new CliError(`--key-type '${type}': use ec or rsa`);
  const size = options.keySize ?? '2048';
  if (!RSA_SIZES.includes(size)) throw new CliError(`--key-size ${size}: use ${RSA_SIZES.join(', ')}`);
  return { type: 'rsa', bits: Number(size) };
}

/** A file name from a CN: what a shell and every file system accept. */
export function fileBase(cn: string): string {
  const base = cn
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '');
  return base === '' ? 'certificate' : base;
}

export interface Outputs {
  cert: string;
  key: string;
  chain?: string;
}

export function outputPaths(options: OutputOptions, cn: string, withChain: boolean): Outputs {
  const dir = options.out ?? '.';
  const base = options.name ?? fileBase(cn);
  const outputs: Outputs = {
    cert: options.certOut ?? join(dir, `${base}.pem`),
    key: options.keyOut ?? join(dir, `${base}.key`),
    ...(withChain ? { chain: options.chainOut ?? join(dir, `${base}-chain.pem`) } : {}),
  };
  const all = Object.values(outputs) as string[];
  if (new Set(all.map((p) => resolve(p))).size !== all.length) {
    throw new CliError(`the output files must differ: ${all.join(', ')}`);
  }
  // Checked before anything is made, so a refusal leaves no half-written set of files.
  if (!options.force) {
    for (const path of all) {
      if (existsSync(path)) throw new CliError(`${path} already exists (use --force to overwrite)`);
    }
  }
  return outputs;
}

/**
 * The CA that signs: the first certificate of --ca (any others there are its
 * issuers and go into the new chain), with the key of --ca-key.
 */
async function loadSigner(options: SignerOptions, signs: 'ca' | 'end-entity'): Promise<Credential> {
  const certificates = readCertificates(options.ca, 'CA certificate');
  const certificate = certificates[0]!;
  const key = readPrivateKey(options.caKey, 'CA private key');
  assertKeyMatches(certificate, key, options.caKey, options.ca);
  if (!certificate.isCa) {
    throw new CliError(
      `'${certificate.subject}' in ${options.ca} is not a CA (its basicConstraints do not say CA:true), so it cannot sign certificates`,
    );
  }
  if (!certificate.allowsCertificateSigning) {
    throw new CliError(
      `'${certificate.subject}' in ${options.ca} may not sign certificates (its keyUsage lacks keyCertSign)`,
    );
  }
  if (signs === 'ca' && certificate.pathLen === 0) {
    throw new CliError(
      `'${certificate.subject}' in ${options.ca} has pathLen 0: it may sign device and server certificates, not another CA`,
    );
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new CliError(
      `${options.caKey}: EC curve ${key.asymmetricKeyDetails?.namedCurve} is not supported for signing; use EC P-256 or RSA`,
    );
  }
  if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') {
    throw new CliError(
      `${options.caKey}: ${key.asymmetricKeyType} keys cannot sign here; use EC P-256 or RSA`,
    );
  }
  const keys = await importPrivateKeyPem(key.export({ type: 'pkcs8', format: 'pem' }) as string);
  return { certificate, keys, issuers: certificates.slice(1) };
}

async function write(
  credential: Credential,
  outputs: Outputs,
  kind: string,
  options: OutputOptions,
  context: CliContext,
): Promise<Written> {
  const { certificate } = credential;
  const force = options.force === true;
  const files: [string, string, boolean, string][] = [
    [
      outputs.cert,
      certificate.pem,
      false,
      `${kind} '${certificate.subject}' (${certificate.keyDescription}), valid ${iso(certificate.notBefore)} to ${iso(certificate.notAfter)}`,
    ],
    [
      outputs.key,
      await exportPrivateKeyPem(credential.keys.privateKey),
      true,
      'its private key (readable by the owner only)',
    ],
  ];
  if (outputs.chain) {
    const chain = [certificate, ...credential.issuers];
    files.push([
      outputs.chain,
      chainPem(credential),
      false,
      `the chain, leaf first: ${chain.map((c) => `'${c.commonNames[0] ?? c.subject}'`).join(' < ')}`,
    ]);
  }
  try {
    for (const [path, content, secret] of files) writeGenerated(path, content, { secret, force });
  } catch (error) {
    if (error instanceof FileExistsError) throw new CliError(error.message);
    throw new CliError(`cannot write: ${(error as Error).message}`);
  }
  const width = Math.max(...files.map(([path]) => path.length));
  for (const [path, , , what] of files) context.print(`wrote ${path.padEnd(width)}  ${what}`);
  context.print(`fingerprint ${certificate.fingerprint}, serialNumber ${certificate.serialDecimal}`);
  return { certificate, files: files.map(([path]) => path) };
}

const iso = (ms: number) => new Date(ms).toISOString();
