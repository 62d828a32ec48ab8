import { type Clock, toSeconds } from '../clock.js';
import type { Store, TokenRecord } from '../store/store.js';
import { externalIdOf } from '../tenants/devices.js';
import type { TokenAuthenticator } from './token-authenticator.js';
import { type TokenState, tokenState } from './token-state.js';

export type { TokenRecord };

/** A stored token as the dashboard lists it. */
export interface StoredToken {
  record: TokenRecord;
  externalId: string;
  revokedAt: number | null;
  state: TokenState;
}

/** The tokens the mock issued and still keeps: looking them up, listing, revoking and pruning. */
export class Tokens {
  readonly #store: Store;
  readonly #clock: Clock;
  /** Before when expired tokens may go (see pruneExpired). */
  readonly #pruneClock: Clock;
  /** Revokes as a logout does, forgetting the token's remembered signature. */
  readonly #authenticator: TokenAuthenticator;

  /**
   * `pruneClock`: the earlier of the mock's clock and real time. A test suite that advances the
   * mock's clock and then sets it back must find every revocation still there: pruning on the
   * advanced clock would let a logged-out token in again.
   */
  constructor(deps: { store: Store; clock: Clock; pruneClock: Clock; authenticator: TokenAuthenticator }) {
    ({
      store: this.#store,
      clock: this.#clock,
      pruneClock: this.#pruneClock,
      authenticator: this.#authenticator,
    } = deps);
  }

  /** A token this mock issued and still keeps, by the hash of its compact form. */
  find(hash: string): TokenRecord | undefined {
    return this.#store.getToken(hash);
  }

  /** The newest token of a device user. */
  latest(tenantId: string, userName: string): TokenRecord | undefined {
    return this.#store.latestToken(tenantId, userName);
  }

  /** A tenant's newest tokens, newest first, each with its state now. */
  recent(tenantId: string, limit: number): StoredToken[] {
    const now = this.#clock.now();
    return this.#store.listTokens(tenantId, limit).map((record) => {
      const revokedAt = this.#store.getRevocation(record.hash)?.revokedAt ?? null;
      return {
        record,
        externalId: externalIdOf(record.userName),
        revokedAt,
        state: tokenState(record, revokedAt !== null, now),
      };
    });
  }

  /** Ends a stored token as its logout would; a token revoked already keeps its first revocation. */
  revoke(token: TokenRecord): { revokedAt: number; now: boolean } {
    const existing = this.#store.getRevocation(token.hash);
    if (existing) return { revokedAt: existing.revokedAt, now: false };
    this.#authenticator.revokeStored(token);
    return { revokedAt: this.#store.getRevocation(token.hash)!.revokedAt, now: true };
  }

  /** Expired tokens and their revocations can go: an expired token is refused anyway. */
  pruneExpired(): number {
    return this.#store.pruneExpired(toSeconds(this.#pruneClock.now()));
  }
}
