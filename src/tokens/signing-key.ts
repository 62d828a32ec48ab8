import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importPKCS8, type JWK } from 'jose';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';

/** The RSA-2048 key that signs device tokens (RS256, as the platform's). Imported once. */
export interface SigningKey {
  kid: string;
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /** The public key as published in the JWKS. */
  publicJwk: JWK;
}

/** Loads the stored signing key, or makes and stores one: tokens must verify across restarts. */
export async function loadSigningKey(store: Store, clock: Clock): Promise<SigningKey> {
  let record = store.getSigningKey();
  if (!record) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const kid = await thumbprint(privateKeyPem);
    record = { kid, privateKeyPem, createdAt: clock.now() };
    store.putSigningKey(record);
  }
  const privateKey = (await importPKCS8(record.privateKeyPem, 'RS256', {
    extractable: true,
  })) as webcrypto.CryptoKey;
  const jwk = await exportJWK(privateKey);
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n!, e: jwk.e!, alg: 'RS256', use: 'sig', kid: record.kid };
  const publicKey = (await webcrypto.subtle.importKey(
    'jwk',
    { kty: 'RSA', n: jwk.n!, e: jwk.e!, ext: true },
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    true,
    ['verify'],
  )) as webcrypto.CryptoKey;
  return { kid: record.kid, privateKey, publicKey, publicJwk };
}

/**
 * Why a stored key cannot sign tokens (RS256: an RSA private key, PKCS#8 PEM), or undefined when
 * it can. An imported state brings its own key: it is checked before it replaces this one.
 */
export async function unusableSigningKey(privateKeyPem: string): Promise<string | undefined> {
  try {
    await importPKCS8(privateKeyPem, 'RS256');
    return undefined;
  } catch (error) {
    return `not an RSA private key in PKCS#8 PEM (${(error as Error).message})`;
  }
}

async function thumbprint(privateKeyPem: string): Promise<string> {
  const key = await importPKCS8(privateKeyPem, 'RS256', { extractable: true });
  const jwk = await exportJWK(key);
  return calculateJwkThumbprint({ kty: 'RSA', n: jwk.n!, e: jwk.e! });
}

/**
 * The current signing key. Importing a state can bring another key, so the
 * issuer and verifier ask for it on each use instead of keeping their own.
 */
export class SigningKeys {
  readonly #store: Store;
  readonly #clock: Clock;
  #current: SigningKey;

  private constructor(store: Store, clock: Clock, current: SigningKey) {
    this.#store = store;
    this.#clock = clock;
    this.#current = current;
  }

  static async load(store: Store, clock: Clock): Promise<SigningKeys> {
    return new SigningKeys(store, clock, await loadSigningKey(store, clock));
  }

  get current(): SigningKey {
    return this.#current;
  }

  /** Re-reads the key from the store (after an import); makes one if the state has none. */
  async reload(): Promise<void> {
    this.#current = await loadSigningKey(this.#store, this.#clock);
  }

  /** The public keys as a JWKS document. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.#current.publicJwk] };
  }
}
