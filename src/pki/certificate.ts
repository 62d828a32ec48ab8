import { hash, type KeyObject, verify, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { isoDate } from '../clock.js';
import {
  children,
  content,
  DerError,
  decodeTime,
  expectElement,
  integerHex,
  readElement,
  readOid,
  TAG,
} from './der.js';
import { Memo } from './memo.js';
import { describeSpki, importSpki } from './public-key.js';
import { StringPool } from './string-pool.js';
import { canonicalName, commonNames, decodeName, type Name, platformName, rfc2253Name } from './x500-name.js';

const verifyOffThread = promisify(verify);

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
  certificatePolicies: '2.5.29.32',
  netscapeCertType: '2.16.840.1.113730.1.1',
} as const;

/** Names of the extensions a refusal may mention. */
export const EXTENSION_NAMES: Record<string, string> = {
  '2.5.29.19': 'basicConstraints',
  '2.5.29.15': 'keyUsage',
  '2.5.29.37': 'extendedKeyUsage',
  '2.5.29.17': 'subjectAltName',
  '2.5.29.18': 'issuerAltName',
  '2.5.29.14': 'subjectKeyIdentifier',
  '2.5.29.35': 'authorityKeyIdentifier',
  '2.5.29.31': 'crlDistributionPoints',
  '2.5.29.32': 'certificatePolicies',
  '2.5.29.30': 'nameConstraints',
  '2.5.29.33': 'policyMappings',
  '2.5.29.36': 'policyConstraints',
  '2.5.29.54': 'inhibitAnyPolicy',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess',
  '2.16.840.1.113730.1.1': 'netscapeCertType',
};

/**
 * The extensions the chain check processes, so they may be critical (RFC 5280
 * 4.2: a critical extension that is not processed refuses the certificate).
 * subjectAltName needs no processing: no rule reads it. certificatePolicies is
 * processed with RFC 5280 6.1's default inputs (any policy, none required),
 * where it never refuses a path, except for the qualifiers of a critical one
 * (4.2.1.4). nameConstraints and the policy constraints are not processed, so
 * a critical one refuses the certificate.
 */
const PROCESSED_EXTENSIONS = new Set<string>(Object.values(OID));

const ANY_POLICY = '2.5.29.32.0';

/** Extended key usages by OID, as refusals name them. */
export const KEY_PURPOSES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

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

/** keyUsage bits (RFC 5280 4.2.1.3), counted from the most significant bit. */
export const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
const KEY_CERT_SIGN = 5;

/** node:crypto's digest for each signature algorithm verified here; others go to OpenSSL's X509 verify. */
export const SIGNATURE_HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/**
 * The key types (node:crypto's names) that can make each signature: an ECDSA
 * signature labelled SHA256withRSA must not verify with an EC key because
 * node:crypto, given only a hash, would verify it anyway.
 */
export const SIGNATURE_KEY_TYPES: Record<string, readonly string[]> = {
  '1.2.840.113549.1.1.4': ['rsa'],
  '1.2.840.113549.1.1.5': ['rsa'],
  '1.2.840.113549.1.1.11': ['rsa'],
  '1.2.840.113549.1.1.12': ['rsa'],
  '1.2.840.113549.1.1.13': ['rsa'],
  '1.2.840.113549.1.1.10': ['rsa', 'rsa-pss'],
  '1.2.840.10045.4.1': ['ec'],
  '1.2.840.10045.4.3.2': ['ec'],
  '1.2.840.10045.4.3.3': ['ec'],
  '1.2.840.10045.4.3.4': ['ec'],
  '1.3.101.112': ['ed25519'],
  '1.3.101.113': ['ed448'],
};

/**
 * One X.509 certificate, parsed once, with the facts the platform and the chain
 * check need, in the platform's formats.
 *
 * Parsing walks the DER directly: node:crypto's X509Certificate costs about
 * 120 µs to construct (and as much again for its subject string), which for a
 * device presenting a new certificate would be most of the token endpoint's
 * budget. OpenSSL's parser is still used on demand (`x509`) where its
 * services are needed (host name checks, unusual signature algorithms).
 */
export class Certificate {
  readonly der: Buffer;
  /** Lowercase hex SHA-1 of the DER, as the platform's `fingerprint`. */
  readonly fingerprint: string;
  /**
   * Lowercase hex SHA-256 of the DER: what the chain check and its caches know
   * a certificate by, since SHA-1 collisions can be made (the SHA-1
   * `fingerprint` only names certificates, as the platform does).
   */
  readonly sha256: string;
  readonly version: number;
  /** Lowercase hex without leading zeros. */
  readonly serialHex: string;
  readonly signatureOid: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** The names as RFC 5280 7.1 compares them: keys for matching a certificate to its issuer. */
  readonly subjectCanonical: string;
  readonly issuerCanonical: string;
  /** The platform's rendering: RDNs in reverse DER order joined by ", " (Java's X500Principal). */
  readonly subject: string;
  readonly issuer: string;
  /** The subject's CN values, as encoded (not escaped). */
  readonly commonNames: readonly string[];
  readonly isCa: boolean;
  readonly pathLen: number | undefined;
  /** The keyUsage bits, or undefined when the extension is absent. */
  readonly keyUsage: readonly boolean[] | undefined;
  /** The extendedKeyUsage OIDs, or undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** The netscapeCertType bits (bit 0: SSL client), or undefined when absent. */
  readonly netscapeCertType: readonly boolean[] | undefined;
  /** Policies of a critical certificatePolicies extension that carry qualifiers. */
  readonly criticalPolicyQualifiers: readonly string[];
  /** Critical extensions the chain check does not process (OIDs). */
  readonly unprocessedCriticalExtensions: readonly string[];
  /**
   * Where the parts read again on demand lie in `der` (the signed part, the signature, the public
   * key, the names, the extensions): a certificate is cached for as long as its device comes
   * back, so it keeps offsets rather than a view and an object for each part (issue 19's memory).
   */
  readonly #at: Offsets;
  #publicKey: KeyObject | undefined;
  #keyDescription: string | undefined;
  #validityText: string | undefined;
  #x509: X509Certificate | undefined;

  /** `sha256`: the DER's SHA-256 in hex when the caller has it already (the cache's key). */
  private constructor(der: Buffer, sha256?: string) {
    const structure = readStructure(der);
    // A view into a larger buffer (Buffer's 8 KB pool, a whole header or file) would keep all of
    // it alive as long as the certificate is cached: keep the certificate's own bytes only.
    this.der = der.byteOffset === 0 && der.buffer.byteLength === der.length ? der : ownCopy(der);
    this.fingerprint = hash('sha1', der, 'hex');
    this.sha256 = sha256 ?? hash('sha256', der, 'hex');
    this.version = structure.version;
    this.serialHex = structure.serialHex;
    this.signatureOid = interned(structure.signatureOid);
    this.notBefore = structure.notBefore;
    this.notAfter = structure.notAfter;
    this.#at = structure.at;
    this.subjectCanonical = canonicalName(structure.subjectName);
    // Every login names its certificates (the decision, the device): made while the names are at hand.
    this.subject = platformName(structure.subjectName);
    this.issuer = structure.issuer.platform;
    const names = commonNames(structure.subjectName);
    this.commonNames = names.length === 0 ? NONE : Object.freeze(names);
    // A fleet's certificates share their issuer: one string for all of them.
    this.issuerCanonical = structure.issuer.canonical;
    let basic: Extension | undefined;
    let usage: Extension | undefined;
    let purposes: Extension | undefined;
    let netscape: Extension | undefined;
    let policies: Extension | undefined;
    for (const extension of structure.extensions) {
      if (extension.oid === OID.basicConstraints) basic = extension;
      else if (extension.oid === OID.keyUsage) usage = extension;
      else if (extension.oid === OID.extKeyUsage) purposes = extension;
      else if (extension.oid === OID.netscapeCertType) netscape = extension;
      else if (extension.oid === OID.certificatePolicies) policies = extension;
    }
    let extension = '';
    try {
      extension = 'basicConstraints';
      const constraints = basic ? readBasicConstraints(basic.value) : { ca: false, pathLen: undefined };
      this.isCa = constraints.ca;
      this.pathLen = constraints.pathLen;
      extension = 'keyUsage';
      this.keyUsage = usage ? readBitString(usage.value) : undefined;
      extension = 'extendedKeyUsage';
      this.extendedKeyUsage = purposes ? readOidSequence(purposes.value).map(interned) : undefined;
      extension = 'netscapeCertType';
      this.netscapeCertType = netscape ? readBitString(netscape.value) : undefined;
      extension = 'certificatePolicies';
      const qualified = policies ? readPolicies(policies.value) : [];
      this.criticalPolicyQualifiers = policies?.critical ? qualified : NONE;
    } catch (error) {
      if (error instanceof DerError)
        throw new CertificateFormatError(`malformed ${extension} extension (${error.message})`);
      throw error;
    }
    const unprocessed = structure.extensions
      .filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))
      .map((e) => e.oid);
    this.unprocessedCriticalExtensions = unprocessed.length === 0 ? NONE : unprocessed;
  }

  static fromDer(der: Buffer, sha256?: string): Certificate {
    return new Certificate(der, sha256);
  }

  /** The signed part (tbsCertificate), as found in the DER. */
  get tbs(): Buffer {
    return this.der.subarray(this.#at.tbs, this.#at.tbsEnd);
  }

  /** The signature's bytes, as found in the DER. */
  get signature(): Buffer {
    return this.der.subarray(this.#at.signature, this.#at.signatureEnd);
  }

  /** The SubjectPublicKeyInfo, as found in the DER. */
  get spki(): Buffer {
    return this.der.subarray(this.#at.spki, this.#at.spkiEnd);
  }

  /** The extensions in certificate order, read again from the DER (checked when it was parsed). */
  get extensions(): readonly Extension[] {
    return this.#at.extensions.length === 0
      ? NONE_EXTENSIONS
      : this.#at.extensions.flatMap((at) => readExtensions(this.der, at));
  }

  /** Hex of the DER-encoded subject, as sent. */
  get subjectKey(): string {
    const name = readElement(this.der, this.#at.subject);
    return this.der.toString('hex', name.start, name.end);
  }

  /** Hex of the DER-encoded issuer, as sent. */
  get issuerKey(): string {
    const name = readElement(this.der, this.#at.issuer);
    return this.der.toString('hex', name.start, name.end);
  }

  get #subjectName(): Name {
    return decodeName(this.der, readElement(this.der, this.#at.subject));
  }

  get #issuerName(): Name {
    return decodeName(this.der, readElement(this.der, this.#at.issuer));
  }

  /** OpenSSL's view of the certificate, made on first use. */
  get x509(): X509Certificate {
    if (!this.#x509) {
      try {
        this.#x509 = new X509Certificate(this.der);
      } catch (error) {
        throw new CertificateFormatError(`not a valid X.509 certificate (${(error as Error).message})`);
      }
    }
    return this.#x509;
  }

  get serialDecimal(): string {
    return BigInt(`0x${this.serialHex}`).toString(10);
  }

  /** RFC 2253 (`CN=…,O=…`), as verify-cert-chain answers. */
  get subjectRfc2253(): string {
    return rfc2253Name(this.#subjectName);
  }

  get issuerRfc2253(): string {
    return rfc2253Name(this.#issuerName);
  }

  get algorithmName(): string {
    return SIGNATURE_ALGORITHMS[this.signatureOid] ?? this.signatureOid;
  }

  /**
   * Built on first use: a key takes OpenSSL 4 to 135 µs to import (`importSpki`), and a
   * leaf's key is never needed to check its chain. Throws CertificateFormatError
   * when OpenSSL cannot read it.
   */
  get publicKey(): KeyObject {
    if (!this.#publicKey) {
      try {
        this.#publicKey = importSpki(this.spki);
      } catch (error) {
        throw new CertificateFormatError(`unsupported or malformed public key (${(error as Error).message})`);
      }
    }
    return this.#publicKey;
  }

  /**
   * Reads the public key now, for a certificate that will sign others (an
   * uploaded anchor, a presented issuer): one whose key cannot be read is then
   * refused as unparsable instead of failing in the middle of a chain check.
   */
  withReadableKey(): this {
    void this.publicKey;
    return this;
  }

  /** "valid from … to …", as the chain check's passing date rule says on every request: made once. */
  get validityText(): string {
    this.#validityText ??= `valid from ${isoDate(this.notBefore)} to ${isoDate(this.notAfter)}`;
    return this.#validityText;
  }

  /** e.g. "RSA 2048" or "EC P-256", read from the DER without building a key. */
  get keyDescription(): string {
    this.#keyDescription ??= describeSpki(this.spki);
    return this.#keyDescription;
  }

  /**
   * Why this certificate's key cannot have made `child`'s signature, judged by
   * the algorithm the signature names (RFC 5280 4.1.1.2); undefined when it can
   * (or when the algorithm is left to OpenSSL). Throws CertificateFormatError
   * when the key cannot be read.
   */
  keyMismatch(child: Certificate): string | undefined {
    const types = SIGNATURE_KEY_TYPES[child.signatureOid];
    const type = types && this.publicKey.asymmetricKeyType;
    if (!types || (type && types.includes(type))) return undefined;
    return `its signature algorithm ${child.algorithmName} does not fit the issuer's ${this.keyDescription} key`;
  }

  /** Whether this certificate's key verifies `child`'s signature, with the algorithm the signature names. */
  signed(child: Certificate): boolean {
    try {
      if (this.keyMismatch(child)) return false;
      const hash = SIGNATURE_HASHES[child.signatureOid];
      if (hash === undefined) return child.x509.verify(this.publicKey);
      return verify(hash, child.tbs, { key: this.publicKey, dsaEncoding: 'der' }, child.signature);
    } catch {
      return false;
    }
  }

  /**
   * `signed`, computed on libuv's pool by node:crypto: the same answer, off the main thread.
   * Undefined where the synchronous check decides alone (no hash node:crypto knows, a key that
   * cannot have made the signature); rejected where it would throw.
   */
  async signedOffThread(child: Certificate): Promise<boolean | undefined> {
    const hash = SIGNATURE_HASHES[child.signatureOid];
    if (hash === undefined || this.keyMismatch(child) !== undefined) return undefined;
    return verifyOffThread(hash, child.tbs, { key: this.publicKey, dsaEncoding: 'der' }, child.signature);
  }

  /** RFC 5280 6.1: subject and issuer names match. */
  get selfIssued(): boolean {
    return this.subjectCanonical === this.issuerCanonical;
  }

  /** Whether this certificate's issuer name matches `issuer`'s subject (RFC 5280 7.1). */
  namesIssuer(issuer: Certificate): boolean {
    return this.issuerCanonical === issuer.subjectCanonical;
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

interface Structure {
  version: number;
  serialHex: string;
  signatureOid: string;
  notBefore: number;
  notAfter: number;
  subjectName: Name;
  issuer: IssuerForms;
  extensions: Extension[];
  at: Offsets;
}

/** Offsets into a certificate's DER (see `Certificate`). */
interface Offsets {
  tbs: number;
  tbsEnd: number;
  signature: number;
  signatureEnd: number;
  spki: number;
  spkiEnd: number;
  subject: number;
  issuer: number;
  /** The [3] elements holding the extensions. */
  extensions: readonly number[];
}

const NONE: readonly string[] = Object.freeze([]);
const NONE_EXTENSIONS: readonly Extension[] = Object.freeze([]);
const NO_OFFSETS: readonly number[] = Object.freeze([]);

/** A copy of the bytes in a buffer of their own (not from Buffer's shared pool). */
function ownCopy(der: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(der.length);
  der.copy(copy);
  return copy;
}

/** A fleet's issuer names and OIDs, one string each for all its certificates. */
const shared = new StringPool(4_096);
const interned = (value: string): string => shared.get(value);

/** An issuer name as the platform renders it and as RFC 5280 7.1 compares it. */
interface IssuerForms {
  platform: string;
  canonical: string;
}

/** By the name's DER bytes: the certificates of a fleet decode their issuer's name once. */
const knownIssuers = new Memo(4_096, 1_024, (bytes): IssuerForms => {
  const der = Buffer.from(bytes, 'latin1');
  const name = decodeName(der, readElement(der, 0));
  return { platform: interned(platformName(name)), canonical: interned(canonicalName(name)) };
});

const issuerForms = (der: Buffer, name: ReturnType<typeof readElement>): IssuerForms =>
  knownIssuers.get(der.toString('latin1', name.start, name.end));

/** The extensions in the [3] element at `at` (their form and uniqueness were checked by readStructure). */
function readExtensions(der: Buffer, at: number): Extension[] {
  const field = readElement(der, at);
  const list = expectElement(der, field.contentStart, TAG.SEQUENCE, field.end);
  return children(der, list).map((entry) => readExtension(der, entry));
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
    if (version < 1 || version > 3) throw new CertificateFormatError(`unknown version ${version}`);
    const [oid] = children(der, algorithm);
    if (!oid || oid.tag !== TAG.OID) throw new CertificateFormatError('missing signature algorithm');
    // RFC 5280 4.1.1.2: the outer algorithm must be the one inside the signed part.
    if (
      !der
        .subarray(algorithm.start, algorithm.end)
        .equals(der.subarray(signatureAlgorithm.start, signatureAlgorithm.end))
    ) {
      throw new CertificateFormatError('the signature algorithm differs from the one in tbsCertificate');
    }
    if (
      signature.tag !== TAG.BIT_STRING ||
      signature.end - signature.contentStart < 2 ||
      der[signature.contentStart] !== 0
    ) {
      throw new CertificateFormatError('malformed signature value');
    }
    const [notBefore, notAfter] = children(der, validity);
    if (!notBefore || !notAfter) throw new CertificateFormatError('incomplete validity');
    if (publicKeyInfo.tag !== TAG.SEQUENCE)
      throw new CertificateFormatError('malformed subjectPublicKeyInfo');
    const [keyAlgorithm, keyBits] = children(der, publicKeyInfo);
    if (keyAlgorithm?.tag !== TAG.SEQUENCE || keyBits?.tag !== TAG.BIT_STRING) {
      throw new CertificateFormatError('malformed subjectPublicKeyInfo');
    }
    const extensions: Extension[] = [];
    const extensionsAt: number[] = [];
    for (const field of fields.slice(i + 6)) {
      if (field.tag !== 0xa3) continue;
      extensionsAt.push(field.start);
      if (version !== 3) throw new CertificateFormatError(`extensions in a version ${version} certificate`);
      const list = expectElement(der, field.contentStart, TAG.SEQUENCE, field.end);
      for (const entry of children(der, list)) {
        const extension = readExtension(der, entry);
        // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a
        // particular extension"; OpenSSL and Java refuse such certificates too.
        if (extensions.some((e) => e.oid === extension.oid)) {
          const name = EXTENSION_NAMES[extension.oid];
          throw new CertificateFormatError(
            `the ${name ? `${name} extension (${extension.oid})` : `extension ${extension.oid}`} appears more than once`,
          );
        }
        extensions.push(extension);
      }
    }
    return {
      version,
      serialHex: integerHex(content(der, serial)),
      signatureOid: readOid(der, oid),
      notBefore: decodeTime(der, notBefore),
      notAfter: decodeTime(der, notAfter),
      subjectName: decodeName(der, subject),
      issuer: issuerForms(der, issuer),
      extensions,
      at: {
        tbs: tbs.start,
        tbsEnd: tbs.end,
        signature: signature.contentStart + 1,
        signatureEnd: signature.end,
        spki: publicKeyInfo.start,
        spkiEnd: publicKeyInfo.end,
        subject: subject.start,
        issuer: issuer.start,
        extensions: extensionsAt.length === 0 ? NO_OFFSETS : extensionsAt,
      },
    };
  } catch (error) {
    if (error instanceof DerError) throw new CertificateFormatError(`malformed DER (${error.message})`);
    throw error;
  }
}

function readExtension(der: Buffer, entry: ReturnType<typeof readElement>): Extension {
  const parts = children(der, entry);
  const [oid, second, third] = parts;
  if (!oid || oid.tag !== TAG.OID) throw new CertificateFormatError('extension without an identifier');
  const critical = second?.tag === TAG.BOOLEAN ? der[second.contentStart] !== 0 : false;
  const value = second?.tag === TAG.BOOLEAN ? third : second;
  if (!value || value.tag !== TAG.OCTET_STRING) throw new CertificateFormatError('extension without a value');
  return { oid: readOid(der, oid), critical, value: content(der, value) };
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

/** A SEQUENCE OF OBJECT IDENTIFIER with at least one (extendedKeyUsage, RFC 5280 4.2.1.12). */
function readOidSequence(value: Buffer): string[] {
  const sequence = expectElement(value, 0, TAG.SEQUENCE);
  if (sequence.end !== value.length) throw new DerError('trailing bytes');
  const oids = children(value, sequence).map((element) => {
    if (element.tag !== TAG.OID) throw new DerError('an entry is not an OBJECT IDENTIFIER');
    return readOid(value, element);
  });
  if (oids.length === 0) throw new DerError('no entry');
  return oids;
}

/**
 * certificatePolicies (RFC 5280 4.2.1.4): checks its form and returns the
 * policies that carry qualifiers.
 */
function readPolicies(value: Buffer): string[] {
  const sequence = expectElement(value, 0, TAG.SEQUENCE);
  if (sequence.end !== value.length) throw new DerError('trailing bytes');
  const qualified: string[] = [];
  const entries = children(value, sequence);
  if (entries.length === 0) throw new DerError('no policy');
  for (const information of entries) {
    if (information.tag !== TAG.SEQUENCE) throw new DerError('a policy is not a SEQUENCE');
    const [identifier, qualifiers, extra] = children(value, information);
    if (identifier?.tag !== TAG.OID || extra) throw new DerError('malformed PolicyInformation');
    const policy = readOid(value, identifier);
    if (qualifiers) {
      if (qualifiers.tag !== TAG.SEQUENCE || children(value, qualifiers).length === 0)
        throw new DerError('malformed policyQualifiers');
      qualified.push(policy === ANY_POLICY ? 'anyPolicy' : policy);
    }
  }
  return qualified;
}

function readBitString(value: Buffer): boolean[] {
  const element = expectElement(value, 0, TAG.BIT_STRING);
  const bytes = content(value, element).subarray(1);
  const bits: boolean[] = [];
  for (const byte of bytes) for (let b = 7; b >= 0; b--) bits.push(((byte >> b) & 1) === 1);
  return bits;
}
