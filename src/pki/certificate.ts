import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import {
  children,
  content,
  type DerElement,
  DerError,
  decodeOid,
  decodeTime,
  expectElement,
  integerHex,
  type readElement,
  TAG,
} from './der.js';

/** Raised when bytes are not a certificate; the message says why. */
export class CertificateFormatError extends Error {
  override name = 'CertificateFormatError';
}

export interface Extension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

/** Extensions whose meaning we process or that carry no constraint for a path check. */
const HANDLED_EXTENSIONS = new Set<string>(Object.values(OID));

/** Java (JCA) names, as the platform prints them in `algorithmName`. */
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5withRSA',
  '1.2.840.113549.1.1.5': 'SHA1withRSA',
  '1.2.840.113549.1.1.11': 'SHA256withRSA',
  '1.2.840.113549.1.1.12': 'SHA384withRSA',
  '1.2.840.113549.1.1.13': 'SHA512withRSA',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10045.4.1': 'SHA1withECDSA',
  '1.2.840.10045.4.3.2': 'SHA256withECDSA',
  '1.2.840.10045.4.3.3': 'SHA384withECDSA',
  '1.2.840.10045.4.3.4': 'SHA512withECDSA',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** keyUsage bit for keyCertSign (RFC 5280 4.2.1.3), counted from the most significant bit. */
const KEY_CERT_SIGN = 5;

/**
 * One X.509 certificate, parsed once, with the facts the platform and the chain
 * check need, in the platform's formats.
 */
export class Certificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  /** Lowercase hex SHA-1 of the DER, as the platform's `fingerprint`. */
  readonly fingerprint: string;
  readonly version: number;
  /** Lowercase hex without leading zeros. */
  readonly serialHex: string;
  readonly signatureOid: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Hex of the DER-encoded names: keys for matching a certificate to its issuer. */
  readonly subjectKey: string;
  readonly issuerKey: string;
  readonly extensions: readonly Extension[];
  readonly isCa: boolean;
  readonly pathLen: number | undefined;
  /** The keyUsage bits, or undefined when the extension is absent. */
  readonly keyUsage: readonly boolean[] | undefined;
  readonly unhandledCriticalExtensions: readonly string[];
  readonly #commonNames: readonly string[];
  #subject: string | undefined;
  #issuer: string | undefined;
  readonly #publicKey: KeyObject;

  private constructor(der: Buffer) {
    this.der = der;
    const structure = readStructure(der);
    try {
      this.x509 = new X509Certificate(der);
    } catch (error) {
      throw new CertificateFormatError(`not a valid X.509 certificate (${(error as Error).message})`);
    }
    try {
      // Read now: a certificate whose key cannot be read cannot verify or be verified, and
      // reading it later (key size, signatures) would fail in the middle of a chain check.
      this.#publicKey = this.x509.publicKey;
    } catch (error) {
      throw new CertificateFormatError(`unsupported or malformed public key (${(error as Error).message})`);
    }
    this.fingerprint = createHash('sha1').update(der).digest('hex');
    this.version = structure.version;
    this.serialHex = structure.serialHex;
    this.signatureOid = structure.signatureOid;
    this.notBefore = structure.notBefore;
    this.notAfter = structure.notAfter;
    this.subjectKey = structure.subjectKey;
    this.issuerKey = structure.issuerKey;
    this.extensions = structure.extensions;
    this.#commonNames = structure.commonNames;
    const basic = structure.extensions.find((e) => e.oid === OID.basicConstraints);
    const usage = structure.extensions.find((e) => e.oid === OID.keyUsage);
    try {
      const constraints = basic ? readBasicConstraints(basic.value) : { ca: false, pathLen: undefined };
      this.isCa = constraints.ca;
      this.pathLen = constraints.pathLen;
      this.keyUsage = usage ? readBitString(usage.value) : undefined;
    } catch (error) {
      if (error instanceof DerError)
        throw new CertificateFormatError(`malformed extension (${error.message})`);
      throw error;
    }
    this.unhandledCriticalExtensions = structure.extensions
      .filter((e) => e.critical && !HANDLED_EXTENSIONS.has(e.oid))
      .map((e) => e.oid);
  }

  static fromDer(der: Buffer): Certificate {
    return new Certificate(der);
  }

  get serialDecimal(): string {
    return BigInt(`0x${this.serialHex}`).toString(10);
  }

  /** The platform's rendering: RDNs in reverse DER order joined by ", " (Java's X500Principal). */
  get subject(): string {
    this.#subject ??= platformName(this.x509.subject);
    return this.#subject;
  }

  get issuer(): string {
    this.#issuer ??= platformName(this.x509.issuer);
    return this.#issuer;
  }

  /** RFC 2253 (Java's X500Principal.getName()): reversed RDNs joined by "," without spaces, as verify-cert-chain prints them. */
  get subjectRfc2253(): string {
    return rfc2253Name(this.x509.subject);
  }

  get issuerRfc2253(): string {
    return rfc2253Name(this.x509.issuer);
  }

  /**
   * The subject's CNs, in DER order, decoded from the DER: not from OpenSSL's
   * rendering, which escapes `,` `+` `"` `\` and control characters.
   */
  get commonNames(): string[] {
    return [...this.#commonNames];
  }

  get algorithmName(): string {
    return SIGNATURE_ALGORITHMS[this.signatureOid] ?? this.signatureOid;
  }

  get publicKey(): KeyObject {
    return this.#publicKey;
  }

  /** e.g. "RSA 2048" or "EC P-256". */
  get keyDescription(): string {
    return describeKey(this.publicKey);
  }

  get selfIssued(): boolean {
    return this.subjectKey === this.issuerKey;
  }

  get allowsCertificateSigning(): boolean {
    return this.keyUsage === undefined || this.keyUsage[KEY_CERT_SIGN] === true;
  }

  /** How a certificate is named in log lines and refusal reasons. */
  get label(): string {
    return `'${this.subject}' (serial ${this.serialHex}, fingerprint ${this.fingerprint})`;
  }

  /** One line of base64 DER, as the platform returns `certInPemFormat`. */
  get base64(): string {
    return this.der.toString('base64');
  }

  get pem(): string {
    const lines = this.base64.match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  }
}

/** A public or private key as "RSA 2048" or "EC P-256". */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return `RSA ${details.modulusLength ?? '?'}`;
    case 'ec':
      return `EC ${details.namedCurve === 'prime256v1' ? 'P-256' : details.namedCurve === 'secp384r1' ? 'P-384' : details.namedCurve === 'secp521r1' ? 'P-521' : (details.namedCurve ?? '?')}`;
    default:
      return (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  }
}

function platformName(nodeName: string): string {
  return nodeName.split('\n').reverse().join(', ');
}

function rfc2253Name(nodeName: string): string {
  return nodeName.split('\n').reverse().join(',');
}

interface Structure {
  version: number;
  serialHex: string;
  signatureOid: string;
  notBefore: number;
  notAfter: number;
  subjectKey: string;
  issuerKey: string;
  extensions: Extension[];
  commonNames: string[];
}

function readStructure(der: Buffer): Structure {
  try {
    const outer = expectElement(der, 0, TAG.SEQUENCE);
    if (outer.end !== der.length) {
      throw new CertificateFormatError(`${der.length - outer.end} trailing bytes after the certificate`);
    }
    const [tbs, signatureAlgorithm, signature] = children(der, outer);
    if (!tbs || !signatureAlgorithm || !signature || tbs.tag !== TAG.SEQUENCE) {
      throw new CertificateFormatError('not a certificate structure');
    }
    const fields = children(der, tbs);
    let i = 0;
    let version = 1;
    if (fields[0]?.tag === 0xa0) {
      const versionElement = expectElement(der, fields[0].contentStart, TAG.INTEGER, fields[0].end);
      version = Number(integerHex(content(der, versionElement))) + 1;
      i++;
    }
    const [serial, algorithm, issuer, validity, subject, publicKeyInfo] = fields.slice(i, i + 6);
    if (!serial || !algorithm || !issuer || !validity || !subject || !publicKeyInfo) {
      throw new CertificateFormatError('incomplete tbsCertificate');
    }
    if (serial.tag !== TAG.INTEGER) throw new CertificateFormatError('serial number is not an INTEGER');
    const [oid] = children(der, algorithm);
    if (!oid || oid.tag !== TAG.OID) throw new CertificateFormatError('missing signature algorithm');
    const [notBefore, notAfter] = children(der, validity);
    if (!notBefore || !notAfter) throw new CertificateFormatError('incomplete validity');
    const extensions: Extension[] = [];
    for (const field of fields.slice(i + 6)) {
      if (field.tag !== 0xa3) continue;
      const list = expectElement(der, field.contentStart, TAG.SEQUENCE, field.end);
      for (const entry of children(der, list)) extensions.push(readExtension(der, entry));
    }
    return {
      version,
      serialHex: integerHex(content(der, serial)),
      signatureOid: decodeOid(content(der, oid)),
      notBefore: decodeTime(der, notBefore),
      notAfter: decodeTime(der, notAfter),
      subjectKey: der.toString('hex', subject.start, subject.end),
      issuerKey: der.toString('hex', issuer.start, issuer.end),
      extensions,
      commonNames: readCommonNames(der, subject),
    };
  } catch (error) {
    if (error instanceof DerError) throw new CertificateFormatError(`malformed DER (${error.message})`);
    throw error;
  }
}

const COMMON_NAME = '2.5.4.3';
const STRING_TAG = { UTF8: 0x0c, BMP: 0x1e, UNIVERSAL: 0x1c } as const;

/** The values of every CN attribute of a Name (SEQUENCE OF SET OF {type, value}). */
function readCommonNames(der: Buffer, name: DerElement): string[] {
  if (name.tag !== TAG.SEQUENCE) throw new DerError('subject is not a SEQUENCE');
  const names: string[] = [];
  for (const rdn of children(der, name)) {
    for (const attribute of children(der, rdn)) {
      const [type, value] = children(der, attribute);
      if (!type || type.tag !== TAG.OID || !value) throw new DerError('malformed name attribute');
      if (decodeOid(content(der, type)) === COMMON_NAME)
        names.push(decodeString(value.tag, content(der, value)));
    }
  }
  return names;
}

/** A directory string: UTF8String, BMPString, UniversalString, or a one-byte string type. */
function decodeString(tag: number, bytes: Buffer): string {
  switch (tag) {
    case STRING_TAG.UTF8:
      return bytes.toString('utf8');
    case STRING_TAG.BMP:
      if (bytes.length % 2 !== 0) throw new DerError('BMPString of odd length');
      return Buffer.from(bytes).swap16().toString('utf16le');
    case STRING_TAG.UNIVERSAL: {
      if (bytes.length % 4 !== 0) throw new DerError('UniversalString length not a multiple of 4');
      const points: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) {
        const point = bytes.readUInt32BE(i);
        if (point > 0x10ffff) throw new DerError('UniversalString outside Unicode');
        points.push(point);
      }
      return String.fromCodePoint(...points);
    }
    default:
      return bytes.toString('latin1'); // PrintableString, IA5String, TeletexString, VisibleString
  }
}

function readExtension(der: Buffer, entry: ReturnType<typeof readElement>): Extension {
  const parts = children(der, entry);
  const [oid, second, third] = parts;
  if (!oid || oid.tag !== TAG.OID) throw new CertificateFormatError('extension without an identifier');
  const critical = second?.tag === TAG.BOOLEAN ? der[second.contentStart] !== 0 : false;
  const value = second?.tag === TAG.BOOLEAN ? third : second;
  if (!value || value.tag !== TAG.OCTET_STRING) throw new CertificateFormatError('extension without a value');
  return { oid: decodeOid(content(der, oid)), critical, value: content(der, value) };
}

function readBasicConstraints(value: Buffer): { ca: boolean; pathLen: number | undefined } {
  const sequence = expectElement(value, 0, TAG.SEQUENCE);
  let ca = false;
  let pathLen: number | undefined;
  for (const part of children(value, sequence)) {
    if (part.tag === TAG.BOOLEAN) ca = value[part.contentStart] !== 0;
    else if (part.tag === TAG.INTEGER) pathLen = Number.parseInt(integerHex(content(value, part)), 16);
  }
  return { ca, pathLen };
}

function readBitString(value: Buffer): boolean[] {
  const element = expectElement(value, 0, TAG.BIT_STRING);
  const bytes = content(value, element).subarray(1);
  const bits: boolean[] = [];
  for (const byte of bytes) for (let b = 7; b >= 0; b--) bits.push(((byte >> b) & 1) === 1);
  return bits;
}
