import type { Clock } from '../clock.js';
import type { CrlEntryRecord, Store } from '../store/store.js';
import type { CrlInput } from './crl-input.js';

/** Normalises a serial given in hex (any case, optional 0x, leading zeros) to the stored form. */
export function normalizeSerialHex(serial: string): string {
  const hex = serial
    .trim()
    .toLowerCase()
    .replace(/^0x/, '')
    .replace(/^0+(?=.)/, '');
  return hex;
}

/** The offline certificate revocation list of each tenant: serial numbers, irreversible. */
export class RevocationLists {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  entries(tenantId: string): CrlEntryRecord[] {
    return this.#store.listCrlEntries(tenantId);
  }

  isRevoked(tenantId: string, serialHex: string): boolean {
    return this.#store.getCrlEntry(tenantId, serialHex) !== undefined;
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
