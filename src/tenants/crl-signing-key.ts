import type { webcrypto } from 'node:crypto';
import type { Clock } from '../clock.js';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem } from '../pki/certificate-factory.js';
import type { Store } from '../store/store.js';

/**
 * The ECDSA P-256 key that signs every tenant's offline CRL. Made once and
 * kept in the store like the token signing key, so a CRL downloaded before a
 * restart still verifies with the key after it. Importing a state can bring
 * another key, so the CRL encoder asks for the current one on each use.
 */
export class CrlSigningKey {
  readonly #store: Store;
  readonly #clock: Clock;
  #current: webcrypto.CryptoKey;

  private constructor(store: Store, clock: Clock, current: webcrypto.CryptoKey) {
    this.#store = store;
    this.#clock = clock;
    this.#current = current;
  }

  static async load(store: Store, clock: Clock): Promise<CrlSigningKey> {
    return new CrlSigningKey(store, clock, await loadKey(store, clock));
  }

  get current(): webcrypto.CryptoKey {
    return this.#current;
  }

  /** Re-reads the key from the store (after an import); makes one if the state has none. */
  async reload(): Promise<void> {
    this.#current = await loadKey(this.#store, this.#clock);
  }
}

/** Why a stored key cannot sign CRLs (an EC P-256 or RSA private key, PEM), or undefined when it can. */
export async function unusableCrlKey(privateKeyPem: string): Promise<string | undefined> {
  try {
    await importPrivateKeyPem(privateKeyPem);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function loadKey(store: Store, clock: Clock): Promise<webcrypto.CryptoKey> {
  const record = store.getCrlSigningKey();
  if (record) return (await importPrivateKeyPem(record.privateKeyPem)).privateKey as webcrypto.CryptoKey;
  const { privateKey } = await generateKeyPair();
  store.putCrlSigningKey({ privateKeyPem: await exportPrivateKeyPem(privateKey), createdAt: clock.now() });
  return privateKey as webcrypto.CryptoKey;
}
