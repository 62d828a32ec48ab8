import { isoDate } from '../clock.js';
import type { OptionRecord } from '../tenants/tenant-options.js';
import type { TrustedCertificate } from '../tenants/trusted-certificates.js';

/**
 * A trusted certificate as the platform returns it, field by field as in a
 * recorded real response: alphabetical order, decimal serial, reversed names
 * joined by ", ", one-line base64 DER, JCA algorithm names, dates with
 * milliseconds. The verification-code fields appear once a code was made.
 */
export function trustedCertificateJson(
  { record, certificate, tenantCertificateAuthority }: TrustedCertificate,
  origin: string,
) {
  return {
    algorithmName: certificate.algorithmName,
    autoRegistrationEnabled: record.autoRegistrationEnabled,
    certInPemFormat: certificate.base64,
    fingerprint: record.fingerprint,
    issuer: certificate.issuer,
    name: record.name,
    notAfter: isoDate(certificate.notAfter),
    notBefore: isoDate(certificate.notBefore),
    ...(record.proofOfPossessionCode !== null
      ? { proofOfPossessionUnsignedVerificationCode: record.proofOfPossessionCode }
      : {}),
    proofOfPossessionValid: record.proofOfPossessionValid,
    ...(record.proofOfPossessionCodeUsableUntil !== null
      ? { proofOfPossessionVerificationCodeUsableUntil: isoDate(record.proofOfPossessionCodeUsableUntil) }
      : {}),
    self: `${origin}/tenant/tenants/${record.tenantId}/trusted-certificates/${record.fingerprint}`,
    serialNumber: certificate.serialDecimal,
    status: record.status,
    subject: certificate.subject,
    tenantCertificateAuthority,
    version: certificate.version,
  };
}

/**
 * An option's value as the platform shows it: a `credentials.` key's value is stored encrypted and
 * shown as `<<Encrypted>>` to anyone but the microservice owning the category (the OpenAPI's
 * "Encrypted credentials"); the mock has no microservices, so to everyone.
 */
export function shownOptionValue(option: Pick<OptionRecord, 'key' | 'value'>): string {
  return option.key.startsWith('credentials.') ? ENCRYPTED_OPTION_VALUE : option.value;
}
export const ENCRYPTED_OPTION_VALUE = '<<Encrypted>>';

export function optionJson(option: OptionRecord, origin: string) {
  return {
    category: option.category,
    key: option.key,
    value: shownOptionValue(option),
    self: `${origin}/tenant/options/${encodeURIComponent(option.category)}/${encodeURIComponent(option.key)}`,
  };
}
