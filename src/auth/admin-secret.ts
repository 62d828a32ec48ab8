import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Unauthorized } from '../errors.js';

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

/** The preHandler of the control API's routes: `Authorization: Bearer <admin secret>` or 401. */
export const requireAdminSecret =
  (adminSecret: AdminSecret) =>
  async (request: FastifyRequest): Promise<void> => {
    const given = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    if (!adminSecret.matches(given || undefined)) {
      throw new Unauthorized('The control API needs Authorization: Bearer <admin secret> (--admin-secret).', {
        reason: given ? 'wrong admin secret' : 'no admin secret given',
      });
    }
  };
