import { createPrivateKey } from 'node:crypto';
import { Certificate, CertificateFormatError } from '../pki/certificate.js';
import type { CertificateAuthorityKeyRecord, StateTables, Store } from '../store/store.js';
import { unusableCrlKey } from '../tenants/crl-signing-key.js';
import { unusableSigningKey } from '../tokens/signing-key.js';

/** The records of a state the mock parses (certificates and keys), by table. */
export type ParsedRecords = Pick<
  StateTables,
  'trustedCertificates' | 'issuedCertificates' | 'signingKeys' | 'crlSigningKeys'
> & { certificateAuthorityKeys?: readonly CertificateAuthorityKeyRecord[] };

/** A record the mock cannot use: its table, position and field, what it is, and why. */
export interface UnreadableRecord {
  table: keyof ParsedRecords;
  index: number;
  field: 'certDer' | 'fingerprint' | 'privateKeyPem';
  /** The record as a person finds it, e.g. "trusted certificate 0a1b… of tenant t100". */
  record: string;
  why: string;
}

function certificateProblem(der: Buffer): string | undefined {
  try {
    Certificate.fromDer(der).withReadableKey();
    return undefined;
  } catch (error) {
    if (error instanceof CertificateFormatError) return `not a certificate: ${error.message}`;
    throw error;
  }
}

function privateKeyProblem(pem: string): string | undefined {
  try {
    createPrivateKey(pem);
    return undefined;
  } catch (error) {
    return `not a private key in PEM (${(error as Error).message})`;
  }
}

/**
 * The first record whose certificate or key cannot be read, or undefined. Everything the mock
 * parses when it loads a state (its trust index, the dashboard's issued certificates, the keys
 * that sign tokens, CRLs and certificates) is checked, so a state is refused, or a start
 * explains itself, before a parse fails in the middle of a request.
 */
export async function findUnreadable(tables: ParsedRecords): Promise<UnreadableRecord | undefined> {
  for (const [index, c] of tables.trustedCertificates.entries()) {
    const record = `trusted certificate ${c.fingerprint} of tenant ${c.tenantId}`;
    const why = certificateProblem(c.certDer);
    if (why) return { table: 'trustedCertificates', index, field: 'certDer', record, why };
    // The fingerprint is the certificate's name everywhere (the index, the API, devices' anchors).
    const actual = Certificate.fromDer(c.certDer).fingerprint;
    if (actual !== c.fingerprint) {
      const why = `not the SHA-1 fingerprint of certDer (which is ${actual})`;
      return { table: 'trustedCertificates', index, field: 'fingerprint', record, why };
    }
  }
  for (const [index, c] of tables.issuedCertificates.entries()) {
    const record = `issued certificate ${c.serial} of tenant ${c.tenantId}`;
    const why = certificateProblem(c.certDer);
    if (why) return { table: 'issuedCertificates', index, field: 'certDer', record, why };
  }
  for (const [index, k] of tables.signingKeys.entries()) {
    const why = await unusableSigningKey(k.privateKeyPem);
    if (why)
      return {
        table: 'signingKeys',
        index,
        field: 'privateKeyPem',
        record: `token signing key ${k.kid}`,
        why,
      };
  }
  for (const [index, k] of tables.crlSigningKeys.entries()) {
    const why = await unusableCrlKey(k.privateKeyPem);
    if (why)
      return { table: 'crlSigningKeys', index, field: 'privateKeyPem', record: 'CRL signing key', why };
  }
  for (const [index, k] of (tables.certificateAuthorityKeys ?? []).entries()) {
    const why = privateKeyProblem(k.privateKeyPem);
    const record = `key of the certificate authority ${k.fingerprint} of tenant ${k.tenantId}`;
    if (why) return { table: 'certificateAuthorityKeys', index, field: 'privateKeyPem', record, why };
  }
  return undefined;
}

/** Raised at start when the data directory holds a record the mock cannot read; exits 2 as a bad option. */
export class StoredStateError extends Error {
  override name = 'StoredStateError';
}

/**
 * Checks what a store holds before the services load it: a record that cannot be read (a file
 * edited by hand, a state imported by an older mock) is named with what to do about it.
 */
export async function assertReadableStore(store: Store, where: string): Promise<void> {
  const tenants = store.listTenants();
  const signingKey = store.getSigningKey();
  const crlSigningKey = store.getCrlSigningKey();
  const problem = await findUnreadable({
    trustedCertificates: store.listTrustedCertificates(),
    issuedCertificates: tenants.flatMap((t) => store.listIssuedCertificates(t.id, Number.MAX_SAFE_INTEGER)),
    signingKeys: signingKey ? [signingKey] : [],
    crlSigningKeys: crlSigningKey ? [crlSigningKey] : [],
    certificateAuthorityKeys: store.listCertificateAuthorityKeys(),
  });
  if (problem) {
    throw new StoredStateError(
      `${where} holds a record that cannot be read: ${problem.table}.${problem.field} of the ${problem.record}: ${problem.why}. ` +
        `Restore the data directory from a backup, or move it away (or choose another --data-dir) to start afresh from the seed.`,
    );
  }
}
