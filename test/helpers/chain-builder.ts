import { createHash, createPublicKey, generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import type {
  CertificateSpec,
  ChainSpec,
  Hash,
  KeyKind,
  OtherExtension,
  Purpose,
  Validity,
} from './chain-spec.js';
import { KEY_KINDS, KU } from './chain-spec.js';
import { hasRsaFixture, nextRsaKeyObject } from './keys.js';

/*
 * Turns a ChainSpec into DER certificates. The certificates are encoded here
 * with asn1js rather than with the project's factory, because the test needs
 * what no certificate library makes on purpose: identifiers that lie about the
 * signature, extensions that appear twice, issuer names in another encoding.
 */

const SECOND = 1000;
const DAY = 86_400_000;

interface KeyPair {
  kind: KeyKind;
  privateKey: KeyObject;
  spki: Buffer;
  /** SHA-1 of the subjectPublicKey bits, as OpenSSL computes a subjectKeyIdentifier. */
  keyId: Buffer;
}

/**
 * Keys made once per run: RSA key generation takes up to a second, and which
 * key signs does not change a verdict. `count` keys of each kind let every
 * certificate of a chain have its own; decoys take the last one.
 */
export class KeyPool {
  private constructor(
    readonly count: number,
    readonly keys: ReadonlyMap<KeyKind, readonly KeyPair[]>,
  ) {}

  /** All keys (of the given kinds) at once, on the thread pool: both cores generate RSA keys. */
  static async generate(count = 6, only: readonly KeyKind[] = KEY_KINDS): Promise<KeyPool> {
    const kinds = await Promise.all(
      only.map(
        async (kind) =>
          [kind, await Promise.all(Array.from({ length: count }, () => makeKey(kind)))] as const,
      ),
    );
    return new KeyPool(count, new Map(kinds));
  }

  get(kind: KeyKind, index: number): KeyPair {
    const keys = this.keys.get(kind);
    if (!keys) throw new Error(`no ${kind} keys in this pool`);
    return keys[index % this.count]!;
  }
}

const generate = promisify(generateKeyPair);
/** A fixture key (helpers/keys.ts: RSA keys made once) as generateKeyPair gives a pair. */
const fixture = (privateKey: KeyObject) => ({ privateKey, publicKey: createPublicKey(privateKey) });

async function makeKey(kind: KeyKind): Promise<KeyPair> {
  const modulus = kind.startsWith('rsa') ? Number(kind.slice(4)) : 0;
  const { privateKey, publicKey } =
    kind === 'ed25519'
      ? await generate('ed25519')
      : hasRsaFixture(modulus)
        ? fixture(nextRsaKeyObject(modulus))
        : modulus
          ? await generate('rsa', { modulusLength: modulus })
          : await generate('ec', { namedCurve: `P-${kind.slice(4)}` });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const parsed = asn1js.fromBER(spki).result as asn1js.Sequence;
  const bits = parsed.valueBlock.value[1] as asn1js.BitString;
  const keyId = createHash('sha1').update(Buffer.from(bits.valueBlock.valueHexView)).digest();
  return { kind, privateKey, spki, keyId };
}

const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  certificatePolicies: '2.5.29.32',
  anyPolicy: '2.5.29.32.0',
  netscapeCertType: '2.16.840.1.113730.1.1',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  issuerAltName: '2.5.29.18',
  subjectAltName: '2.5.29.17',
  crlDistributionPoints: '2.5.29.31',
  nameConstraints: '2.5.29.30',
  policyConstraints: '2.5.29.36',
  policyMappings: '2.5.29.33',
  inhibitAnyPolicy: '2.5.29.54',
  unknown: '1.3.6.1.4.1.55555.1.1',
  testPolicy: '1.3.6.1.4.1.55555.100.1',
  otherPolicy: '1.3.6.1.4.1.55555.100.2',
  cps: '1.3.6.1.5.5.7.2.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
} as const;

const PURPOSE_OIDS: Record<Purpose, string> = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  any: '2.5.29.37.0',
};

const RSA_SIGNATURES: Record<Hash, string> = {
  md5: '1.2.840.113549.1.1.4',
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};
const ECDSA_SIGNATURES: Record<Hash, string> = {
  md5: '1.2.840.10045.4.1', // ECDSA has no MD5: such certificates are signed with SHA-1
  sha1: '1.2.840.10045.4.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};
const ED25519 = '1.3.101.112';

type Family = 'rsa' | 'ecdsa' | 'ed25519';
const familyOf = (kind: KeyKind): Family =>
  kind === 'ed25519' ? 'ed25519' : kind.startsWith('rsa') ? 'rsa' : 'ecdsa';

function algorithmIdentifier(family: Family, hash: Hash): asn1js.Sequence {
  if (family === 'ed25519') return new asn1js.Sequence({ value: [oid(ED25519)] });
  if (family === 'ecdsa') return new asn1js.Sequence({ value: [oid(ECDSA_SIGNATURES[hash])] });
  return new asn1js.Sequence({ value: [oid(RSA_SIGNATURES[hash]), new asn1js.Null()] });
}

const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
const der = (element: asn1js.BaseBlock) => Buffer.from(element.toBER(false));
const raw = (bytes: Buffer) => asn1js.fromBER(bytes).result;
const implicit = (tagNumber: number, bytes: Buffer | string) =>
  new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber }, valueHex: Buffer.from(bytes) });
const explicit = (tagNumber: number, ...value: asn1js.BaseBlock[]) =>
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value });

interface NameParts {
  cn: string;
  o: string;
  type: 'utf8' | 'printable';
}

function encodeName({ cn, o, type }: NameParts): Buffer {
  const text = (value: string) =>
    type === 'printable' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
  const rdn = (type: string, value: string) =>
    new asn1js.Set({ value: [new asn1js.Sequence({ value: [oid(type), text(value)] })] });
  return der(new asn1js.Sequence({ value: [rdn(OID.commonName, cn), rdn(OID.organization, o)] }));
}

function issuerNameOf(issuer: NameParts, how: CertificateSpec['issuerName']): NameParts {
  switch (how) {
    case 'exact':
      return issuer;
    case 'printable-string':
      return { ...issuer, type: 'printable' };
    case 'upper-case':
      return { ...issuer, cn: issuer.cn.toUpperCase() };
    case 'extra-spaces':
      return { ...issuer, cn: ` ${issuer.cn.replaceAll(' ', '   ')} ` };
    case 'other':
      return { ...issuer, cn: `${issuer.cn} other` };
  }
}

function time(at: number): asn1js.BaseBlock {
  const date = new Date(at);
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? new asn1js.UTCTime({ valueDate: date })
    : new asn1js.GeneralizedTime({ valueDate: date });
}

function validityPeriod(validity: Validity, now: number): [number, number] {
  switch (validity) {
    case 'valid':
      return [now - 30 * DAY, now + 365 * DAY];
    case 'expired':
      return [now - 60 * DAY, now - DAY];
    case 'not-yet-valid':
      return [now + DAY, now + 365 * DAY];
    case 'ends-now':
      return [now - 30 * DAY, now];
    case 'ended-a-second-ago':
      return [now - 30 * DAY, now - SECOND];
    case 'starts-now':
      return [now, now + 365 * DAY];
    case 'starts-in-a-second':
      return [now + SECOND, now + 365 * DAY];
    case 'until-2060':
      return [now - 30 * DAY, Date.UTC(2060, 0, 1)];
  }
}

/** A BIT STRING of named bits, without trailing zero bits (X.690 11.2.2). */
function namedBits(set: number[]): asn1js.BitString {
  const highest = Math.max(-1, ...set);
  if (highest < 0) return new asn1js.BitString({ valueHex: new Uint8Array(0), unusedBits: 0 });
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of set) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (highest % 8) });
}

interface Extension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

const extension = (oid: string, critical: boolean, value: asn1js.BaseBlock): Extension => ({
  oid,
  critical,
  value: der(value),
});

function otherExtension(name: OtherExtension, critical: boolean): Extension {
  const uri = (text: string) => implicit(6, text);
  const dns = (text: string) => implicit(2, text);
  switch (name) {
    case 'authorityInfoAccess':
      return extension(
        OID.authorityInfoAccess,
        critical,
        new asn1js.Sequence({
          value: [new asn1js.Sequence({ value: [oid(OID.caIssuers), uri('http://ca.invalid/ca.crt')] })],
        }),
      );
    case 'issuerAltName':
      return extension(OID.issuerAltName, critical, new asn1js.Sequence({ value: [dns('ca.invalid')] }));
    case 'subjectAltName':
      return extension(OID.subjectAltName, critical, new asn1js.Sequence({ value: [dns('device.invalid')] }));
    case 'crlDistributionPoints':
      return extension(
        OID.crlDistributionPoints,
        critical,
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({ value: [explicit(0, explicit(0, uri('http://ca.invalid/ca.crl')))] }),
          ],
        }),
      );
    case 'nameConstraints':
      // Excludes a DNS name no certificate here carries.
      return extension(
        OID.nameConstraints,
        critical,
        new asn1js.Sequence({
          value: [
            new asn1js.Constructed({
              idBlock: { tagClass: 3, tagNumber: 1 },
              value: [new asn1js.Sequence({ value: [dns('excluded.invalid')] })],
            }),
          ],
        }),
      );
    case 'policyConstraints':
      return extension(
        OID.policyConstraints,
        critical,
        new asn1js.Sequence({ value: [implicit(1, Buffer.from([0x05]))] }),
      );
    case 'policyMappings':
      return extension(
        OID.policyMappings,
        critical,
        new asn1js.Sequence({
          value: [new asn1js.Sequence({ value: [oid(OID.testPolicy), oid(OID.otherPolicy)] })],
        }),
      );
    case 'inhibitAnyPolicy':
      return extension(OID.inhibitAnyPolicy, critical, new asn1js.Integer({ value: 5 }));
  }
}

function extensionsOf(spec: CertificateSpec, key: KeyPair, issuerKey: KeyPair, serial: Buffer): Extension[] {
  const out: Extension[] = [];
  const { basicConstraints: bc, keyUsage: ku, extKeyUsage: eku } = spec;
  if (bc) {
    const value: asn1js.BaseBlock[] = [];
    if (bc.ca) value.push(new asn1js.Boolean({ value: true }));
    if (bc.pathLen !== undefined) value.push(new asn1js.Integer({ value: bc.pathLen }));
    out.push(extension(OID.basicConstraints, bc.critical, new asn1js.Sequence({ value })));
  }
  if (ku) out.push(extension(OID.keyUsage, ku.critical, namedBits(ku.bits.map((name) => KU[name]))));
  if (eku) {
    out.push(
      extension(
        OID.extKeyUsage,
        eku.critical,
        new asn1js.Sequence({ value: eku.purposes.map((p) => oid(PURPOSE_OIDS[p])) }),
      ),
    );
  }
  if (spec.netscapeCertType) {
    // bit 0 sslClient, bit 1 sslServer
    out.push(
      extension(OID.netscapeCertType, false, namedBits(spec.netscapeCertType.sslClient ? [0, 1] : [1])),
    );
  }
  if (spec.subjectKeyId) {
    out.push(
      extension(
        OID.subjectKeyIdentifier,
        spec.subjectKeyId.critical,
        new asn1js.OctetString({ valueHex: key.keyId }),
      ),
    );
  }
  if (spec.authorityKeyId) {
    const keyId = spec.authorityKeyId.matches
      ? issuerKey.keyId
      : createHash('sha1').update(serial).update('another key').digest();
    out.push(
      extension(
        OID.authorityKeyIdentifier,
        spec.authorityKeyId.critical,
        new asn1js.Sequence({ value: [implicit(0, keyId)] }),
      ),
    );
  }
  if (spec.policies) {
    const { critical, qualifier, anyPolicy } = spec.policies;
    const information: asn1js.BaseBlock[] = [oid(anyPolicy ? OID.anyPolicy : OID.testPolicy)];
    if (qualifier) {
      information.push(
        new asn1js.Sequence({
          value: [
            new asn1js.Sequence({
              value: [oid(OID.cps), new asn1js.IA5String({ value: 'http://cps.invalid' })],
            }),
          ],
        }),
      );
    }
    out.push(
      extension(
        OID.certificatePolicies,
        critical,
        new asn1js.Sequence({ value: [new asn1js.Sequence({ value: information })] }),
      ),
    );
  }
  if (spec.other) out.push(otherExtension(spec.other.name, spec.other.critical));
  if (spec.unknown) out.push(extension(OID.unknown, spec.unknown.critical, new asn1js.Null()));
  if (spec.duplicate) {
    const wanted = spec.duplicate === 'unknown' ? OID.unknown : OID[spec.duplicate];
    const twin = out.find((e) => e.oid === wanted) ?? out[0];
    if (twin) out.push(twin);
  }
  return out;
}

export interface BuiltCertificate {
  der: Buffer;
  name: NameParts;
  key: KeyPair;
}

interface Signing {
  family: Family;
  hash: Hash;
  privateKey: KeyObject;
}

function signatureOf(signing: Signing, tbs: Buffer): Buffer {
  if (signing.family === 'ed25519') return sign(null, tbs, signing.privateKey);
  const hash = signing.family === 'ecdsa' && signing.hash === 'md5' ? 'sha1' : signing.hash;
  return sign(hash, tbs, signing.privateKey);
}

function buildCertificate(
  spec: CertificateSpec,
  name: NameParts,
  key: KeyPair,
  issuer: { name: NameParts; key: KeyPair },
  now: number,
): BuiltCertificate {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const family = familyOf(issuer.key.kind);
  const hash = family === 'ecdsa' && spec.hash === 'md5' ? 'sha1' : spec.hash;
  const truth = algorithmIdentifier(family, hash);
  const inner =
    spec.algorithm === 'other-family'
      ? algorithmIdentifier(family === 'rsa' ? 'ecdsa' : 'rsa', hash === 'md5' ? 'sha256' : hash)
      : truth;
  const outer =
    spec.algorithm === 'outer-differs'
      ? algorithmIdentifier(family, hash === 'sha384' ? 'sha256' : 'sha384')
      : inner;
  const [notBefore, notAfter] = validityPeriod(spec.validity, now);
  const fields: asn1js.BaseBlock[] = [];
  if (spec.version === 3) fields.push(explicit(0, new asn1js.Integer({ value: 2 })));
  fields.push(
    new asn1js.Integer({ valueHex: serial }),
    inner,
    raw(encodeName(issuerNameOf(issuer.name, spec.issuerName))),
    new asn1js.Sequence({ value: [time(notBefore), time(notAfter)] }),
    raw(encodeName(name)),
    raw(key.spki),
  );
  if (spec.version === 3) {
    const extensions = extensionsOf(spec, key, issuer.key, serial);
    if (extensions.length > 0) {
      fields.push(
        explicit(
          3,
          new asn1js.Sequence({
            value: extensions.map(
              (e) =>
                new asn1js.Sequence({
                  value: [
                    oid(e.oid),
                    ...(e.critical ? [new asn1js.Boolean({ value: true })] : []),
                    new asn1js.OctetString({ valueHex: e.value }),
                  ],
                }),
            ),
          }),
        ),
      );
    }
  }
  const tbs = der(new asn1js.Sequence({ value: fields }));
  const signature = signatureOf({ family, hash, privateKey: issuer.key.privateKey }, tbs);
  const certificate = new asn1js.Sequence({
    value: [raw(tbs), outer, new asn1js.BitString({ valueHex: signature, unusedBits: 0 })],
  });
  return { der: der(certificate), name, key };
}

/** PEM of DER certificates, in order. */
export function pemOf(...ders: Buffer[]): string {
  return ders
    .map(
      (der) =>
        `-----BEGIN CERTIFICATE-----\n${der
          .toString('base64')
          .match(/.{1,64}/g)
          ?.join('\n')}\n-----END CERTIFICATE-----\n`,
    )
    .join('');
}

/** The leaf's certificate and key as a TLS client presents them. */
export function leafCredentials(chain: BuiltChain): { certPem: string; keyPem: string } {
  return {
    certPem: pemOf(chain.leaf),
    keyPem: chain.certificates[0]!.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export interface BuiltChain {
  spec: ChainSpec;
  /** Leaf first, root last, as specified. */
  certificates: BuiltCertificate[];
  leaf: Buffer;
  anchor: Buffer;
  /** What the device sends besides its leaf, in the order it sends it. */
  untrusted: Buffer[];
}

/** The certificates of a chain and what is sent and trusted; `id` keeps names apart between chains. */
export function buildChain(spec: ChainSpec, keys: KeyPool, now: number, id: number): BuiltChain {
  const count = spec.certificates.length;
  const built: BuiltCertificate[] = new Array(count);
  for (let position = count - 1; position >= 0; position--) {
    const certificateSpec = spec.certificates[position]!;
    // The leaf's CN is a valid device ID; CAs' names have spaces for the name-matching cases.
    const cn =
      position === 0
        ? `device-${id}`
        : `${position === count - 1 ? 'Root CA' : 'Issuing CA'} ${id} ${position}`;
    const name: NameParts = { cn, o: 'c8y-mtls-mock differential', type: 'utf8' };
    const key = keys.get(certificateSpec.key, position);
    const issuer = position === count - 1 ? { name, key } : built[position + 1]!;
    built[position] = buildCertificate(certificateSpec, name, key, issuer, now);
  }
  return { spec, certificates: built, ...present(spec, built, keys, now) };
}

function present(spec: ChainSpec, built: BuiltCertificate[], keys: KeyPool, now: number) {
  const { presentation: how, anchor } = spec;
  const sent: Buffer[] = [];
  for (let position = 1; position < built.length; position++) {
    if (position === how.drop && position < anchor) continue;
    if (position === anchor && !how.withAnchor) continue;
    if (position > anchor && !how.withAboveAnchor) continue;
    sent.push(built[position]!.der);
  }
  if (how.decoy !== null && how.decoy < built.length) {
    const target = built[how.decoy]!;
    const decoyKey = keys.get(spec.certificates[how.decoy]!.key, keys.count - 1);
    sent.push(buildCertificate(DECOY, target.name, decoyKey, { name: target.name, key: decoyKey }, now).der);
  }
  if (how.duplicate && sent.length > 0) sent.push(sent[how.shuffle % sent.length]!);
  const ordered =
    how.order === 'reversed' ? sent.reverse() : how.order === 'shuffled' ? shuffle(sent, how.shuffle) : sent;
  return { leaf: built[0]!.der, anchor: built[anchor]!.der, untrusted: ordered };
}

/** A well-formed self-signed CA: the decoy differs from the real CA only by its key. */
const DECOY: CertificateSpec = {
  key: 'ec-p256',
  hash: 'sha256',
  algorithm: 'true',
  validity: 'valid',
  version: 3,
  basicConstraints: { ca: true, critical: true },
  keyUsage: { bits: ['keyCertSign', 'cRLSign', 'digitalSignature'], critical: true },
  extKeyUsage: null,
  netscapeCertType: null,
  subjectKeyId: { critical: false },
  authorityKeyId: { critical: false, matches: true },
  policies: null,
  other: null,
  unknown: null,
  duplicate: null,
  issuerName: 'exact',
};

/** A deterministic shuffle (a small linear congruential generator seeded by the spec). */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
