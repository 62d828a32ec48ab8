import type { Clock } from '../clock.js';
import { encodeCrl } from '../pki/crl-encoder.js';
import type { CrlEntryRecord, Store } from '../store/store.js';
import type { CrlSigningKey } from './crl-signing-key.js';

export type { CrlEntryRecord };

/** One revocation, as an upload gives it. */
export interface CrlInput {
  /** Hex, in any of the forms `normalizeSerialHex` reads. */
  serialHex: string;
  /** Milliseconds; undefined means "now". */
  revocationDate: number | undefined;
}

/** How long a downloaded CRL says it is current ([INF]). */
const NEXT_UPDATE_MS = 24 * 60 * 60_000;

/** A serial given in hex (any case, optional 0x, leading zeros) in its stored form. */
export function normalizeSerialHex(serial: string): string {
  return serial
    .trim()
    .toLowerCase()
    .replace(/^0x/, '')
    .replace(/^0+(?=.)/, '');
}

/** The offline certificate revocation list of each tenant: serial numbers, irreversible. */
export class RevocationLists {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #signingKey: CrlSigningKey;

  constructor(store: Store, clock: Clock, signingKey: CrlSigningKey) {
    this.#store = store;
    this.#clock = clock;
    this.#signingKey = signingKey;
  }

  entries(tenantId: string): CrlEntryRecord[] {
    return this.#store.listCrlEntries(tenantId);
  }

  isRevoked(tenantId: string, serialHex: string): boolean {
    return this.#store.getCrlEntry(tenantId, serialHex) !== undefined;
  }

  /**
   * The tenant's list as a DER X.509 v2 CRL. The platform's signer is not
   * public and clients only parse the list; the mock signs with its own key.
   */
  encoded(tenantId: string): Promise<Buffer> {
    const now = this.#clock.now();
    return encodeCrl({
      issuer: [{ CN: [tenantId] }, { O: ['c8y-mtls-mock offline CRL'] }],
      entries: this.entries(tenantId),
      thisUpdate: now,
      nextUpdate: now + NEXT_UPDATE_MS,
      signingKey: this.#signingKey.current,
    });
  }

  /**
   * The JSON payload: an entry already on the list stays as it is, and a date
   * in the future becomes now (platform documentation).
   */
  revokeFromPayload(tenantId: string, entries: CrlInput[]): void {
    const now = this.#clock.now();
    this.#store.transaction(() => {
      for (const entry of entries) {
        const serialHex = normalizeSerialHex(entry.serialHex);
        if (this.#store.getCrlEntry(tenantId, serialHex)) continue;
        this.#store.putCrlEntry({
          tenantId,
          serialHex,
          revocationDate: Math.min(entry.revocationDate ?? now, now),
        });
      }
    });
  }

  /**
   * A file upload: the last entry for a serial wins, and entries dated in the
   * future are skipped (platform documentation). Returns how many were skipped.
   */
  revokeFromFile(tenantId: string, entries: CrlInput[]): { skipped: number } {
    const now = this.#clock.now();
    let skipped = 0;
    this.#store.transaction(() => {
      for (const entry of entries) {
        const revocationDate = entry.revocationDate ?? now;
        if (revocationDate > now) {
          skipped++;
          continue;
        }
        this.#store.putCrlEntry({ tenantId, serialHex: normalizeSerialHex(entry.serialHex), revocationDate });
      }
    });
    return { skipped };
  }
}
