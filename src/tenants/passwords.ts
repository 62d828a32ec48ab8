import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** scrypt's cost parameters, kept in each stored hash so a check uses the cost it was made with. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** What the mock hashes passwords with: scrypt's recommended cost for interactive logins. */
export const SCRYPT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };

const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`: the store never holds a password in clear. */
export async function hashPassword(password: string, cost: ScryptCost = SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost.N, cost.r, cost.p);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks passwords against scrypt hashes. scrypt costs tens of milliseconds by
 * design, so a successful check is remembered (as a SHA-256 of hash and
 * password, in memory only) and an API client sending Basic credentials on
 * every request pays it once.
 */
export class PasswordVerifier {
  readonly #verified = new LRUCache<string, true>({ max: 1000 });

  async verify(password: string, stored: string): Promise<boolean> {
    const memo = createHash('sha256').update(stored).update('\0').update(password).digest('base64');
    if (this.#verified.has(memo)) return true;
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const actual = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
    const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
    if (ok) this.#verified.set(memo, true);
    return ok;
  }
}
