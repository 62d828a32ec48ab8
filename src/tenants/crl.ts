import type { Clock } from '../clock.js';
import type { CrlEntryRecord, Store } from '../store/store.js';

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

  /** Adds serials; a revocation date in the future is clamped to now, a missing one is now. */
  revoke(tenantId: string, entries: { serialHex: string; revocationDate?: number | undefined }[]): void {
    const now = this.#clock.now();
    this.#store.transaction(() => {
      for (const entry of entries) {
        this.#store.putCrlEntry({
          tenantId,
          serialHex: normalizeSerialHex(entry.serialHex),
          revocationDate: Math.min(entry.revocationDate ?? now, now),
        });
      }
    });
  }
}
