import fc from 'fast-check';

/*
 * What the differential test generates: a chain of certificates, leaf first and
 * root last, each described by the knobs that decide whether a verifier accepts
 * it, and how the device presents it. Most knobs keep the usual value (a chain
 * as a CA made with OpenSSL's usual profile would be) and change with a small
 * weight, so that most chains have one or two oddities rather than ten.
 */

export const KEY_KINDS = ['ec-p256', 'ec-p384', 'ec-p521', 'rsa-2048', 'rsa-1024', 'ed25519'] as const;
export type KeyKind = (typeof KEY_KINDS)[number];
export type Hash = 'sha256' | 'sha384' | 'sha512' | 'sha1' | 'md5';

export const VALIDITIES = [
  'valid',
  'expired',
  'not-yet-valid',
  'ends-now',
  'ended-a-second-ago',
  'starts-now',
  'starts-in-a-second',
  'until-2060',
] as const;
export type Validity = (typeof VALIDITIES)[number];

/** keyUsage bit numbers (RFC 5280 4.2.1.3). */
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
export type KeyUsageName = keyof typeof KU;

export const PURPOSES = ['clientAuth', 'serverAuth', 'codeSigning', 'emailProtection', 'any'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** Extensions OpenSSL and Java know that the mock does not process (refused when critical). */
export const OTHER_EXTENSIONS = [
  'authorityInfoAccess',
  'issuerAltName',
  'crlDistributionPoints',
  'subjectAltName',
  'nameConstraints',
  'policyConstraints',
  'policyMappings',
  'inhibitAnyPolicy',
] as const;
export type OtherExtension = (typeof OTHER_EXTENSIONS)[number];

export const DUPLICABLE = [
  'basicConstraints',
  'keyUsage',
  'extKeyUsage',
  'subjectKeyIdentifier',
  'unknown',
] as const;
export type Duplicable = (typeof DUPLICABLE)[number];

export interface CertificateSpec {
  key: KeyKind;
  /** The hash of this certificate's signature (made with its issuer's key; ignored for Ed25519). */
  hash: Hash;
  /**
   * What the signature's AlgorithmIdentifiers say: the truth; an algorithm of
   * another key family (an ECDSA signature labelled SHA256withRSA); or an
   * outer identifier that differs from the signed one (RFC 5280 4.1.1.2).
   */
  algorithm: 'true' | 'other-family' | 'outer-differs';
  validity: Validity;
  /** A version 1 certificate has no extensions at all. */
  version: 1 | 3;
  basicConstraints: { ca: boolean; pathLen?: number; critical: boolean } | null;
  keyUsage: { bits: KeyUsageName[]; critical: boolean } | null;
  extKeyUsage: { purposes: Purpose[]; critical: boolean } | null;
  /** Netscape's certificate type; `sslClient` is the bit the TLS client purpose asks for. */
  netscapeCertType: { sslClient: boolean } | null;
  subjectKeyId: { critical: boolean } | null;
  /** `matches`: the key identifier is the issuer's subjectKeyIdentifier. */
  authorityKeyId: { critical: boolean; matches: boolean } | null;
  policies: { critical: boolean; qualifier: boolean; anyPolicy: boolean } | null;
  other: { name: OtherExtension; critical: boolean } | null;
  unknown: { critical: boolean } | null;
  /** An extension that appears twice. */
  duplicate: Duplicable | null;
  /** How this certificate writes its issuer's name: byte for byte, or a form that matches or not. */
  issuerName: 'exact' | 'printable-string' | 'upper-case' | 'extra-spaces' | 'other';
}

export interface Presentation {
  /** Certificates sent in the order built (leaf side first), reversed, or shuffled with `shuffle`. */
  order: 'as-built' | 'reversed' | 'shuffled';
  shuffle: number;
  /** The trusted certificate sent along. */
  withAnchor: boolean;
  /** Certificates above the anchor (the root when an intermediate is trusted) sent along. */
  withAboveAnchor: boolean;
  /** An intermediate between leaf and anchor left out (its position, or null). */
  drop: number | null;
  /** A self-signed certificate with the name (not the key) of the CA at this position, sent along. */
  decoy: number | null;
  /** One certificate sent twice. */
  duplicate: boolean;
}

export interface ChainSpec {
  /** Leaf first, root last: 2 to 5 certificates. */
  certificates: CertificateSpec[];
  /** Position of the trusted certificate: the root, or an intermediate. */
  anchor: number;
  presentation: Presentation;
}

/** The usual value with probability `chance`; otherwise one of the others, each as likely. */
function mostly<T>(usual: fc.Arbitrary<T>, chance: number, ...others: fc.Arbitrary<T>[]): fc.Arbitrary<T> {
  if (others.length === 0) return usual;
  const each = Math.max(1, Math.round(((1 - chance) * 1000) / others.length));
  return fc.oneof(
    { arbitrary: usual, weight: Math.round(chance * 1000) },
    ...others.map((arbitrary) => ({ arbitrary, weight: each })),
  );
}
const always = <T>(value: T) => fc.constant(value);
const criticalOrNot = fc.boolean();

type Knobs = {
  [K in keyof CertificateSpec]: {
    usual: fc.Arbitrary<CertificateSpec[K]>;
    odd: fc.Arbitrary<CertificateSpec[K]>;
  };
};

/** Each knob of a certificate: what a CA's usual profile gives it, and what else it may be. */
function knobs(role: 'leaf' | 'ca'): Knobs {
  const isLeaf = role === 'leaf';
  const usage: KeyUsageName[] = isLeaf
    ? ['digitalSignature', 'keyEncipherment']
    : ['keyCertSign', 'cRLSign', 'digitalSignature'];
  return {
    key: {
      // RSA signing costs ten times ECDSA's: one usual key in four is RSA.
      usual: fc.constantFrom<KeyKind>('ec-p256', 'ec-p256', 'ec-p256', 'rsa-2048'),
      odd: fc.constantFrom<KeyKind>('ec-p384', 'ec-p521', 'ed25519', 'rsa-1024'),
    },
    hash: {
      usual: fc.constantFrom<Hash>('sha256', 'sha384', 'sha512'),
      odd: fc.constantFrom<Hash>('sha1', 'md5'),
    },
    algorithm: { usual: always('true'), odd: fc.constantFrom('other-family', 'outer-differs') },
    validity: { usual: always('valid'), odd: fc.constantFrom(...VALIDITIES.filter((v) => v !== 'valid')) },
    version: { usual: always(3), odd: always(1) },
    basicConstraints: {
      usual: isLeaf
        ? fc.constantFrom({ ca: false, critical: true }, null)
        : fc.constantFrom({ ca: true, critical: true }, { ca: true, critical: true, pathLen: 3 }),
      odd: fc.oneof(
        always(null),
        always({ ca: isLeaf, critical: true }),
        always({ ca: !isLeaf, critical: false }),
        fc.record({ ca: fc.boolean(), critical: criticalOrNot, pathLen: fc.integer({ min: 0, max: 3 }) }),
      ),
    },
    keyUsage: {
      usual: always({ bits: usage, critical: true }),
      odd: fc.oneof(
        always(null),
        fc.record({ bits: fc.subarray(Object.keys(KU) as KeyUsageName[]), critical: criticalOrNot }),
        always({ bits: (isLeaf ? ['keyAgreement'] : ['keyCertSign']) as KeyUsageName[], critical: false }),
      ),
    },
    extKeyUsage: {
      usual: isLeaf
        ? fc.constantFrom({ purposes: ['clientAuth'] as Purpose[], critical: false }, null)
        : always(null),
      odd: fc.oneof(
        always(isLeaf ? null : { purposes: ['clientAuth'] as Purpose[], critical: false }),
        fc.record({ purposes: fc.subarray([...PURPOSES], { minLength: 1 }), critical: criticalOrNot }),
        fc.record({ purposes: fc.constant<Purpose[]>(['any']), critical: criticalOrNot }),
      ),
    },
    netscapeCertType: { usual: always(null), odd: fc.record({ sslClient: fc.boolean() }) },
    subjectKeyId: {
      usual: always({ critical: false }),
      odd: fc.constantFrom(null, { critical: true }),
    },
    authorityKeyId: {
      usual: always({ critical: false, matches: true }),
      odd: fc.constantFrom(null, { critical: true, matches: true }, { critical: false, matches: false }),
    },
    policies: {
      usual: always(null),
      odd: fc.record({ critical: criticalOrNot, qualifier: fc.boolean(), anyPolicy: fc.boolean() }),
    },
    other: {
      usual: always(null),
      odd: fc.record({ name: fc.constantFrom(...OTHER_EXTENSIONS), critical: criticalOrNot }),
    },
    unknown: { usual: always(null), odd: fc.record({ critical: criticalOrNot }) },
    duplicate: { usual: always(null), odd: fc.constantFrom(...DUPLICABLE) },
    issuerName: {
      usual: always('exact'),
      odd: fc.constantFrom('printable-string', 'upper-case', 'extra-spaces', 'other'),
    },
  };
}

/** Every knob from `pick`. */
function certificateFrom(
  all: Knobs,
  pick: <T>(knob: { usual: fc.Arbitrary<T>; odd: fc.Arbitrary<T> }) => fc.Arbitrary<T>,
) {
  return fc.record<CertificateSpec>({
    key: pick(all.key),
    hash: pick(all.hash),
    algorithm: pick(all.algorithm),
    validity: pick(all.validity),
    version: pick(all.version),
    basicConstraints: pick(all.basicConstraints),
    keyUsage: pick(all.keyUsage),
    extKeyUsage: pick(all.extKeyUsage),
    netscapeCertType: pick(all.netscapeCertType),
    subjectKeyId: pick(all.subjectKeyId),
    authorityKeyId: pick(all.authorityKeyId),
    policies: pick(all.policies),
    other: pick(all.other),
    unknown: pick(all.unknown),
    duplicate: pick(all.duplicate),
    issuerName: pick(all.issuerName),
  });
}

/**
 * A certificate as a CA's usual profile makes it (a usual key, a SHA-2 hash);
 * or with one oddity, which then alone decides the verdict; or now and then
 * with several at once. Leaves are odd more often: more rules look at them.
 */
function certificate(role: 'leaf' | 'ca'): fc.Arbitrary<CertificateSpec> {
  const all = knobs(role);
  const usual = certificateFrom(all, (knob) => knob.usual);
  const oneOddity = fc
    .tuple(usual, fc.constantFrom(...(Object.keys(all) as (keyof CertificateSpec)[])))
    .chain(([base, knob]) =>
      (all[knob].odd as fc.Arbitrary<unknown>).map(
        (value) => ({ ...base, [knob]: value }) as CertificateSpec,
      ),
    );
  const several = certificateFrom(all, (knob) => mostly(knob.usual, 0.85, knob.odd));
  return fc.oneof(
    { arbitrary: usual, weight: role === 'leaf' ? 8 : 12 },
    { arbitrary: oneOddity, weight: role === 'leaf' ? 6 : 4 },
    { arbitrary: several, weight: 1 },
  );
}

/** A chain: a leaf, 0 to 3 intermediates and a root, the trusted one, and how it is sent. */
export const chainSpec: fc.Arbitrary<ChainSpec> = fc.integer({ min: 0, max: 3 }).chain((intermediates) =>
  fc.record({
    certificates: fc.tuple(
      certificate('leaf'),
      ...Array.from({ length: intermediates + 1 }, () => certificate('ca')),
    ),
    anchor: mostly(
      always(intermediates + 1),
      0.75,
      ...Array.from({ length: intermediates }, (_, i) => always(i + 1)),
    ),
    presentation: fc.record({
      order: mostly<Presentation['order']>(always('as-built'), 0.7, always('reversed'), always('shuffled')),
      shuffle: fc.nat(),
      withAnchor: mostly(always(false), 0.7, always(true)),
      withAboveAnchor: fc.boolean(),
      drop: mostly(
        always(null),
        0.93,
        ...Array.from({ length: intermediates }, (_, i) => always<number | null>(i + 1)),
      ),
      decoy: mostly(
        always(null),
        0.93,
        ...Array.from({ length: intermediates + 1 }, (_, i) => always<number | null>(i + 1)),
      ),
      duplicate: mostly(always(false), 0.85, always(true)),
    }),
  }),
);

/** A leaf as a CA's usual profile makes it: for tests that change one thing. */
export const USUAL_LEAF: CertificateSpec = {
  key: 'ec-p256',
  hash: 'sha256',
  algorithm: 'true',
  validity: 'valid',
  version: 3,
  basicConstraints: { ca: false, critical: true },
  keyUsage: { bits: ['digitalSignature', 'keyEncipherment'], critical: true },
  extKeyUsage: { purposes: ['clientAuth'], critical: false },
  netscapeCertType: null,
  subjectKeyId: { critical: false },
  authorityKeyId: { critical: false, matches: true },
  policies: null,
  other: null,
  unknown: null,
  duplicate: null,
  issuerName: 'exact',
};

/** A CA as a CA's usual profile makes it. */
export const USUAL_CA: CertificateSpec = {
  ...USUAL_LEAF,
  basicConstraints: { ca: true, critical: true },
  keyUsage: { bits: ['keyCertSign', 'cRLSign', 'digitalSignature'], critical: true },
  extKeyUsage: null,
};

/**
 * A chain of a leaf and its CAs (the last one trusted), each the usual one
 * with the given changes, sent whole in order.
 */
export function simpleChain(leaf: Partial<CertificateSpec>, ...cas: Partial<CertificateSpec>[]): ChainSpec {
  return {
    certificates: [{ ...USUAL_LEAF, ...leaf }, ...cas.map((ca) => ({ ...USUAL_CA, ...ca }))],
    anchor: cas.length,
    presentation: {
      order: 'as-built',
      shuffle: 0,
      withAnchor: false,
      withAboveAnchor: false,
      drop: null,
      decoy: null,
      duplicate: false,
    },
  };
}
