/**
 * What the two lean token servers share (`lean-token.ts`, row (a)'s bound, and
 * `lean-mqtt-token.ts`, row (k)'s): a device certificate's checks against one trusted
 * certificate, the token with the platform's claims signed as the mock signs it, and the store of
 * devices and tokens with one transaction per turn of the event loop. Bounds, not a product
 * (issue 19): nothing here that a token needs is left out, and nothing else is in.
 */
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { firstCertificate } from '../../src/bootstrap/local-ca.js';
import type { Certificate } from '../../src/pki/certificate.js';
import { tokenHash, xsrfToken } from '../../src/tokens/token-hash.js';
import { DEVICE_TOKEN_CONFIG, type DeviceTokenClaims, signRs256 } from '../../src/tokens/token-issuer.js';

/** The lean servers' arguments after the script, by name: each one is required. */
export function serverArguments<const Names extends readonly string[]>(
  ...names: Names
): Record<Names[number], string> {
  const values = process.argv.slice(2);
  if (values.length < names.length) throw new Error(`arguments: ${names.join(' ')}`);
  return Object.fromEntries(names.map((name, i) => [name, values[i]!])) as Record<Names[number], string>;
}

export function readPemCertificate(file: string): Certificate {
  const certificate = firstCertificate(readFileSync(file, 'utf8'));
  if (certificate === undefined) throw new Error(`${file} holds no certificate`);
  return certificate;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface LeanTokenStore {
  isRevoked(serialHex: string): boolean;
  /**
   * Signs the device's token, then writes it (and the device, when new) in the turn's transaction;
   * resolves to the token once committed.
   */
  issue(user: string, now: number): Promise<string>;
}

/** The store in `dataDir` (WAL, synchronous NORMAL, as the mock's), with its own RSA signing key. */
export async function openLeanTokenStore(dataDir: string): Promise<LeanTokenStore> {
  // Signed as the mock signs (its own signRs256, on libuv's pool), with a key of the same kind.
  const { privateKey: signingKey } = await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  );
  const db = new Database(join(dataDir, 'lean.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE devices (name TEXT PRIMARY KEY, created INTEGER NOT NULL);
    CREATE TABLE revoked (serial TEXT PRIMARY KEY);
    CREATE TABLE tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL, jwt TEXT NOT NULL, iat INTEGER, exp INTEGER)`);
  const insertDevice = db.prepare('INSERT INTO devices (name, created) VALUES (?, ?)');
  const isRevoked = db.prepare('SELECT 1 FROM revoked WHERE serial = ?').pluck();
  const insertToken = db.prepare('INSERT INTO tokens (hash, user, jwt, iat, exp) VALUES (?, ?, ?, ?, ?)');
  const knownDevices = new Set<string>();

  /** The writes of one turn of the event loop in one transaction; each caller resumes after it. */
  let queued: { write: () => void; done: () => void }[] = [];
  const flush = db.transaction((writes: typeof queued) => {
    for (const w of writes) w.write();
  });
  const commit = (write: () => void): Promise<void> =>
    new Promise((done) => {
      if (queued.length === 0)
        setImmediate(() => {
          const writes = queued;
          queued = [];
          flush(writes);
          for (const w of writes) w.done();
        });
      queued.push({ write, done });
    });

  return {
    isRevoked: (serialHex) => isRevoked.get(serialHex) !== undefined,
    async issue(user, now) {
      const isNew = !knownDevices.has(user);
      if (isNew) knownDevices.add(user);
      const iat = Math.floor(now / 1000);
      const claims: DeviceTokenClaims = {
        jti: null,
        iss: 'localhost',
        aud: 'localhost',
        sub: user,
        tci: DEVICE_TOKEN_CONFIG,
        iat,
        nbf: iat,
        exp: iat + 3600,
        tfa: false,
        ten: 't100',
        xsrfToken: xsrfToken(),
      };
      const jwt = await signRs256(claims, signingKey);
      await commit(() => {
        if (isNew) insertDevice.run(user, now);
        insertToken.run(tokenHash(jwt), user, jwt, iat, claims.exp);
      });
      return jwt;
    },
  };
}

/**
 * The mock's chain rules as a fleet certificate issued by the trusted certificate itself meets
 * them: named by it, within its dates, not a CA, a key usage and extended key usage that allow a
 * client (the mock also takes anyExtendedKeyUsage), not revoked, and its ECDSA signature checked
 * on libuv's pool.
 */
export async function leafPasses(
  leaf: Certificate,
  anchor: Certificate,
  now: number,
  store: LeanTokenStore,
): Promise<boolean> {
  return (
    leaf.namesIssuer(anchor) &&
    now >= leaf.notBefore &&
    now <= leaf.notAfter &&
    !leaf.isCa &&
    leaf.keyUsage?.[0] !== false &&
    (leaf.extendedKeyUsage === undefined || leaf.extendedKeyUsage.includes(CLIENT_AUTH)) &&
    !store.isRevoked(leaf.serialHex) &&
    (await anchor.signedOffThread(leaf)) === true
  );
}
