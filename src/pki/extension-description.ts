import type { Certificate } from './certificate.js';
import { x509 } from './x509.js';

/** One extension of a certificate, readable: `keyUsage (critical): keyCertSign, cRLSign`. */
export interface ExtensionDescription {
  name: string;
  oid: string;
  critical: boolean;
  value: string;
}

const EXTENDED_KEY_USAGES: Record<string, string> = Object.fromEntries(
  Object.entries(x509.ExtendedKeyUsage).map(([name, oid]) => [oid, name]),
);

const NAMES: Record<string, string> = {
  '2.5.29.19': 'basicConstraints',
  '2.5.29.15': 'keyUsage',
  '2.5.29.37': 'extendedKeyUsage',
  '2.5.29.17': 'subjectAltName',
  '2.5.29.18': 'issuerAltName',
  '2.5.29.14': 'subjectKeyIdentifier',
  '2.5.29.35': 'authorityKeyIdentifier',
  '2.5.29.31': 'crlDistributionPoints',
  '2.5.29.32': 'certificatePolicies',
  '1.3.6.1.5.5.7.1.1': 'authorityInfoAccess',
};

const KEY_USAGE_FLAGS = Object.entries(x509.KeyUsageFlags).filter(
  (entry): entry is [string, number] => typeof entry[1] === 'number',
);

const colons = (hex: string) => hex.match(/.{2}/g)?.join(':') ?? hex;
const generalName = (name: { type: string; value: string }) =>
  `${name.type === 'dns' ? 'DNS' : name.type === 'ip' ? 'IP' : name.type === 'url' ? 'URI' : name.type}:${name.value}`;

/**
 * The extensions in certificate order, decoded where their meaning matters to the platform. Each
 * is decoded on its own: one that does not decode (a malformed extension the chain check does not
 * read) is shown undecoded, and the others still are.
 */
export function describeExtensions(certificate: Certificate): ExtensionDescription[] {
  return certificate.extensions.map(({ oid, critical, value }) => ({
    name: NAMES[oid] ?? oid,
    oid,
    critical,
    value: describeValue(new x509.Extension(oid, critical, new Uint8Array(value))),
  }));
}

function describeValue(raw: x509.Extension): string {
  try {
    const extension = x509.ExtensionFactory.create(raw.rawData);
    if (extension instanceof x509.BasicConstraintsExtension) {
      return extension.ca
        ? `CA:true${extension.pathLength === undefined ? '' : `, pathlen:${extension.pathLength}`}`
        : 'CA:false';
    }
    if (extension instanceof x509.KeyUsagesExtension) {
      return KEY_USAGE_FLAGS.filter(([, flag]) => (extension.usages & flag) !== 0)
        .map(([name]) => name)
        .join(', ');
    }
    if (extension instanceof x509.ExtendedKeyUsageExtension) {
      return extension.usages.map((oid) => EXTENDED_KEY_USAGES[String(oid)] ?? String(oid)).join(', ');
    }
    if (
      extension instanceof x509.SubjectAlternativeNameExtension ||
      extension instanceof x509.IssuerAlternativeNameExtension
    ) {
      return extension.names.items.map(generalName).join(', ');
    }
    if (extension instanceof x509.SubjectKeyIdentifierExtension) return colons(extension.keyId);
    if (extension instanceof x509.AuthorityKeyIdentifierExtension) {
      return extension.keyId ? colons(extension.keyId) : 'issuer and serial';
    }
    if (extension instanceof x509.CRLDistributionPointsExtension) {
      const uris = extension.distributionPoints.flatMap(
        (point) =>
          point.distributionPoint?.fullName?.flatMap((name) =>
            name.uniformResourceIdentifier ? [name.uniformResourceIdentifier] : [],
          ) ?? [],
      );
      return uris.length ? uris.map((u) => `URI:${u}`).join(', ') : 'present';
    }
    if (extension instanceof x509.CertificatePolicyExtension) return extension.policies.join(', ');
    if (extension instanceof x509.AuthorityInfoAccessExtension) {
      return [
        ...extension.ocsp.map((n) => `OCSP ${generalName(n)}`),
        ...extension.caIssuers.map((n) => `caIssuers ${generalName(n)}`),
      ].join(', ');
    }
  } catch {
    // fall through: shown undecoded
  }
  return `${raw.value.byteLength} bytes, not decoded`;
}
