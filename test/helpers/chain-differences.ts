import type { ChainSpec } from './chain-spec.js';
import type { OpensslError, OpensslVerdict } from './openssl-verify.js';

/*
 * Where the mock's chain check and `openssl verify` may disagree on purpose.
 * Each difference is explained by facts of the generated chain, never by the
 * verdicts alone, so that a new kind of disagreement (a bug, or a choice not
 * yet made) fails the differential test instead of hiding in a list.
 * docs/security.md carries the same list with the counts of a run.
 */

export const DIFFERENCES = {
  'strict-profile': {
    side: 'openssl refuses',
    why: "OpenSSL's -x509_strict profile checks (a CA's basicConstraints not critical or keyUsage missing, authority or subject key identifier missing, pathLen on a non-CA or without keyCertSign, keyCertSign on a non-CA): neither OpenSSL without -x509_strict (as TLS servers run it) nor Java's PKIX validation applies them, so the platform accepts such certificates",
  },
  'validity-end-inclusive': {
    side: 'openssl refuses',
    why: 'a certificate whose notAfter is the very second of the check: RFC 5280 4.1.2.5 and Java count notAfter as valid, OpenSSL as expired',
  },
  'any-extended-key-usage': {
    side: 'openssl refuses',
    why: 'a leaf whose extendedKeyUsage is anyExtendedKeyUsage without clientAuth: OpenSSL ignores anyExtendedKeyUsage for its purposes; Java (and RFC 5280 4.2.1.12) accept it',
  },
  'ca-extended-key-usage': {
    side: 'openssl refuses',
    why: "a CA whose extendedKeyUsage lacks clientAuth: OpenSSL applies the leaf's purpose to CAs too; RFC 5280 path validation and Java do not",
  },
  'authority-key-id-mismatch': {
    side: 'openssl refuses',
    why: "a certificate whose authorityKeyIdentifier does not match its issuer's subjectKeyIdentifier: OpenSSL then does not take the issuer; RFC 5280 6.1 and Java's validation do not use the identifiers, and the issuer's signature verifies",
  },
  'ambiguous-issuer': {
    side: 'openssl refuses',
    why: "two certificates sent with the issuer's name, the child without an authorityKeyIdentifier to tell them apart: OpenSSL takes the first and does not try the other when its signature fails; the mock takes the one whose signature verifies, as RFC 4158 path building and Java's path builder do",
  },
  'leaf-ca': {
    side: 'mock refuses',
    why: 'a leaf with basicConstraints CA:true: OpenSSL and Java accept it; the mock keeps its rule leaf-not-ca (a device certificate that can issue certificates is a PKI mistake the platform docs never show)',
  },
  'leaf-key-agreement': {
    side: 'mock refuses',
    why: "a leaf whose keyUsage has keyAgreement but not digitalSignature: OpenSSL's sslclient purpose accepts either; Java's TLS client check (the platform's) asks for digitalSignature, and a TLS 1.2/1.3 client signs the handshake with its key",
  },
  'unprocessed-critical': {
    side: 'mock refuses',
    why: 'a critical crlDistributionPoints, nameConstraints, policyConstraints, policyMappings or inhibitAnyPolicy: the mock does not process them, so RFC 5280 4.2 makes it refuse a critical one; OpenSSL accepts (it checks name constraints; policies only with -policy_check)',
  },
  'critical-policy-qualifiers': {
    side: 'mock refuses',
    why: 'a critical certificatePolicies whose policies carry qualifiers: RFC 5280 4.2.1.4 says to reject it unless the qualifiers are processed, and Java does; OpenSSL does not process policies by default',
  },
  'unknown-extension-twice': {
    side: 'mock refuses',
    why: 'an extension OpenSSL does not know, twice in one certificate: RFC 5280 4.2 forbids any repeat and Java\'s certificate parser refuses it ("Duplicate extensions not allowed"), so the platform answers 400; OpenSSL only notices repeats of the extensions it knows',
  },
  'unused-certificate-unparsable': {
    side: 'mock refuses',
    why: "a certificate the device sends but the path does not need (above the trusted one) that cannot be parsed (an extension twice, differing signature algorithms): the platform parses all of X-Ssl-Cert-Chain and answers 400, as Java's CertificateFactory refuses such a certificate; OpenSSL never looks at certificates it does not use",
  },
} as const;

export type DifferenceId = keyof typeof DIFFERENCES;

/** The X509_V_ERR codes of OpenSSL 3's -x509_strict profile checks (include/openssl/x509_vfy.h). */
const STRICT_ONLY = new Map([
  [80, 'PATHLEN_INVALID_FOR_NON_CA'],
  [81, 'PATHLEN_WITHOUT_KU_KEY_CERT_SIGN'],
  [82, 'KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA'],
  [83, 'ISSUER_NAME_EMPTY'],
  [84, 'SUBJECT_NAME_EMPTY'],
  [85, 'MISSING_AUTHORITY_KEY_IDENTIFIER'],
  [86, 'MISSING_SUBJECT_KEY_IDENTIFIER'],
  [87, 'EMPTY_SUBJECT_ALT_NAME'],
  [88, 'EMPTY_SUBJECT_SAN_NOT_CRITICAL'],
  [89, 'CA_BCONS_NOT_CRITICAL'],
  [90, 'AUTHORITY_KEY_IDENTIFIER_CRITICAL'],
  [91, 'SUBJECT_KEY_IDENTIFIER_CRITICAL'],
  [92, 'CA_CERT_MISSING_KEY_USAGE'],
]);
const CERT_HAS_EXPIRED = 10;
const INVALID_CA = 79;
const INVALID_PURPOSE = 26;
const UNABLE_TO_GET_ISSUER = new Set([2, 20]);

/** Extensions OpenSSL processes or accepts when critical and the mock refuses when critical. */
const OPENSSL_SUPPORTED = new Set([
  'crlDistributionPoints',
  'nameConstraints',
  'policyConstraints',
  'policyMappings',
  'inhibitAnyPolicy',
]);

export interface MockVerdict {
  ok: boolean;
  rule?: string;
  reason?: string;
  /** Every failed check; `position` counts from the leaf, null for checks on the whole chain. */
  failed: { rule: string; position: number | null; message: string }[];
}

export type Comparison =
  | { outcome: 'both accept' | 'both refuse' }
  | { outcome: 'listed'; differences: DifferenceId[] }
  | { outcome: 'unexplained'; detail: string };

/** Why OpenSSL refused a chain the mock accepts, error by error. */
function explainOpenssl(error: OpensslError, spec: ChainSpec): DifferenceId | undefined {
  const certificate = spec.certificates[error.depth];
  if (!certificate) return undefined;
  if (STRICT_ONLY.has(error.code)) return 'strict-profile';
  // X509_check_ca() 4: no basicConstraints but keyCertSign; only -x509_strict refuses such a leaf.
  if (error.code === INVALID_CA && error.depth === 0 && certificate.keyUsage?.bits.includes('keyCertSign'))
    return 'strict-profile';
  if (error.code === CERT_HAS_EXPIRED && certificate.validity === 'ends-now') return 'validity-end-inclusive';
  const purposes = certificate.extKeyUsage?.purposes;
  if (error.code === INVALID_PURPOSE && purposes && !purposes.includes('clientAuth')) {
    if (error.depth > 0) return 'ca-extended-key-usage';
    if (purposes.includes('any')) return 'any-extended-key-usage';
  }
  if (UNABLE_TO_GET_ISSUER.has(error.code) && certificate.authorityKeyId?.matches === false)
    return 'authority-key-id-mismatch';
  // The decoy (a self-signed certificate with the name of the CA at its position) taken for the CA.
  const { decoy } = spec.presentation;
  const child = decoy === null ? undefined : spec.certificates[decoy - 1];
  if (error.depth === decoy && child && (child.version === 1 || child.authorityKeyId === null))
    return 'ambiguous-issuer';
  return undefined;
}

/** Whether the mock cannot parse a certificate so made (what ChainSpec can make of RFC 5280's "MUST NOT"s). */
function unparsable(certificate: ChainSpec['certificates'][number]): boolean {
  return (
    certificate.algorithm === 'outer-differs' || (certificate.version === 3 && certificate.duplicate !== null)
  );
}

/** An extension OpenSSL has no name for, repeated (and nothing else the mock cannot parse). */
function unknownTwice(certificate: ChainSpec['certificates'][number]): boolean {
  return (
    certificate.version === 3 &&
    certificate.duplicate === 'unknown' &&
    certificate.unknown !== null &&
    certificate.algorithm !== 'outer-differs'
  );
}

/** Why the mock refused a chain OpenSSL accepts, failed check by failed check. */
function explainMock(failed: MockVerdict['failed'][number], spec: ChainSpec): DifferenceId | undefined {
  if (failed.rule === 'parse') {
    const used = spec.certificates.slice(0, spec.anchor + 1);
    const unused = spec.presentation.withAboveAnchor ? spec.certificates.slice(spec.anchor + 1) : [];
    if (used.some((c) => unparsable(c) && !unknownTwice(c))) return undefined;
    if (used.some(unknownTwice)) return 'unknown-extension-twice';
    return unused.some(unparsable) ? 'unused-certificate-unparsable' : undefined;
  }
  const certificate = failed.position === null ? undefined : spec.certificates[failed.position];
  if (!certificate) return undefined;
  switch (failed.rule) {
    case 'leaf-not-ca':
      return certificate.basicConstraints?.ca ? 'leaf-ca' : undefined;
    case 'leaf-key-usage': {
      const bits = certificate.keyUsage?.bits ?? [];
      return bits.includes('keyAgreement') && !bits.includes('digitalSignature')
        ? 'leaf-key-agreement'
        : undefined;
    }
    case 'critical-extensions':
      return certificate.other?.critical && OPENSSL_SUPPORTED.has(certificate.other.name)
        ? 'unprocessed-critical'
        : undefined;
    case 'certificate-policies':
      return certificate.policies?.critical && certificate.policies.qualifier
        ? 'critical-policy-qualifiers'
        : undefined;
    default:
      return undefined;
  }
}

/** The verdicts side by side: an agreement, differences that are listed, or something to fix. */
export function compare(spec: ChainSpec, mock: MockVerdict, openssl: OpensslVerdict): Comparison {
  if (mock.ok && openssl.ok) return { outcome: 'both accept' };
  if (!mock.ok && !openssl.ok) return { outcome: 'both refuse' };
  const differences = new Set<DifferenceId>();
  const unexplained: string[] = [];
  if (mock.ok) {
    for (const error of openssl.errors) {
      const id = explainOpenssl(error, spec);
      if (id) differences.add(id);
      else unexplained.push(`openssl error ${error.code} at depth ${error.depth}: ${error.text}`);
    }
  } else {
    const failed =
      mock.failed.length > 0 ? mock.failed : [{ rule: mock.rule ?? '?', position: null, message: '' }];
    for (const check of failed) {
      const id = explainMock(check, spec);
      if (id) differences.add(id);
      else
        unexplained.push(
          `mock rule ${check.rule} (position ${check.position}): ${check.message || mock.reason}`,
        );
    }
  }
  if (unexplained.length > 0) {
    return {
      outcome: 'unexplained',
      detail: `${mock.ok ? 'the mock accepts, openssl refuses' : 'the mock refuses, openssl accepts'}:\n  ${unexplained.join('\n  ')}\nopenssl said:\n${openssl.output}`,
    };
  }
  return { outcome: 'listed', differences: [...differences] };
}
