import { type KeyObject, randomBytes, verify } from 'node:crypto';
import type { Clock } from '../clock.js';
import { BadRequest, UnprocessableEntity } from '../errors.js';
import { decodeBase64, type PemError } from '../pki/pem.js';
import type { TrustedCertificate, TrustedCertificates } from './trusted-certificates.js';

/** How long a verification code can be signed and sent back ([INF]: the platform's lifetime is not public). */
export const VERIFICATION_CODE_LIFETIME_MS = 10 * 60_000;
/** The size of the platform's example code: 102 random bytes, 136 base64 characters. */
const CODE_BYTES = 102;

/**
 * Proof of possession: the tenant gets a random code, signs it with the
 * trusted certificate's private key (`openssl dgst -sha256 -sign key code.txt
 * | base64 -A`) and sends the signature back. A valid proof makes the
 * certificate win when a chain could map to more than one tenant.
 */
export class ProofOfPossession {
  readonly #trust: TrustedCertificates;
  readonly #clock: Clock;

  constructor(trust: TrustedCertificates, clock: Clock) {
    this.#trust = trust;
    this.#clock = clock;
  }

  /** A new code replaces any earlier one; a proof already given stays valid. */
  issueCode(tenantId: string, fingerprint: string): TrustedCertificate {
    const { record, certificate } = this.#trust.get(tenantId, fingerprint);
    return this.#trust.save(
      {
        ...record,
        proofOfPossessionCode: randomBytes(CODE_BYTES).toString('base64'),
        proofOfPossessionCodeUsableUntil: this.#clock.now() + VERIFICATION_CODE_LIFETIME_MS,
      },
      certificate,
    );
  }

  /** Checks a base64 signature (RSA PKCS#1 v1.5 or DER ECDSA, SHA-256) over the code's UTF-8 bytes. */
  prove(tenantId: string, fingerprint: string, signedCode: unknown): TrustedCertificate {
    const { record, certificate } = this.#trust.get(tenantId, fingerprint);
    const ids = `<'${record.fingerprint}'> for tenant <'${tenantId}'>`;
    if (typeof signedCode !== 'string' || signedCode.trim() === '') {
      throw new UnprocessableEntity(
        'tenants/Unprocessable Entity',
        `Cannot process certificate data ${ids}.`,
        {
          reason: 'proofOfPossessionSignedVerificationCode is missing or not a string',
        },
      );
    }
    let signature: Buffer;
    try {
      signature = decodeBase64(signedCode);
    } catch (error) {
      throw new UnprocessableEntity(
        'tenants/Unprocessable Entity',
        `Cannot process certificate data ${ids}.`,
        {
          reason: `proofOfPossessionSignedVerificationCode is not base64: ${(error as PemError).message}`,
        },
      );
    }
    const keyType = certificate.publicKey.asymmetricKeyType;
    if (keyType !== 'rsa' && keyType !== 'ec') {
      throw new UnprocessableEntity('tenants/Invalid Data', `Cannot process user certificate data ${ids}.`, {
        reason: `a ${keyType} key cannot sign with SHA-256 as the proof requires; use an RSA or EC certificate`,
      });
    }
    const wrong = (reason: string) =>
      new BadRequest(
        'tenants',
        `Wrong Proof Of Possession plaintext used for tenant <'${tenantId}'>. Certificate <'${record.fingerprint}'>, usage not granted.`,
        { reason },
      );
    const code = record.proofOfPossessionCode;
    const usableUntil = record.proofOfPossessionCodeUsableUntil;
    if (code === null || usableUntil === null) {
      throw wrong(
        'no verification code was generated for this certificate; POST .../verification-code first',
      );
    }
    if (this.#clock.now() > usableUntil) {
      throw wrong(
        `the verification code expired at ${new Date(usableUntil).toISOString()}; generate a new one`,
      );
    }
    if (!signatureMatches(code, signature, certificate.publicKey)) {
      throw wrong(
        "the signature does not verify over the code's UTF-8 bytes with the certificate's public key (SHA-256; sign exactly the code, without a trailing newline)",
      );
    }
    return this.#trust.save(
      {
        ...record,
        proofOfPossessionValid: true,
        // A code proves possession once.
        proofOfPossessionCode: null,
        proofOfPossessionCodeUsableUntil: null,
      },
      certificate,
    );
  }
}

function signatureMatches(code: string, signature: Buffer, key: KeyObject): boolean {
  try {
    return verify('sha256', Buffer.from(code, 'utf8'), key, signature);
  } catch {
    // A malformed ECDSA signature throws rather than failing.
    return false;
  }
}
