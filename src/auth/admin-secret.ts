import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The mock's admin secret (control API, dashboard sign-in). Compared as
 * SHA-256 digests in constant time, so neither its length nor its content
 * leaks through timing; without a secret nothing matches.
 */
export class AdminSecret {
  readonly #expected: Buffer | undefined;

  constructor(secret: string | undefined) {
    this.#expected = secret === undefined ? undefined : digest(secret);
  }

  matches(given: string | undefined): boolean {
    return (
      this.#expected !== undefined && given !== undefined && timingSafeEqual(digest(given), this.#expected)
    );
  }
}
