import type { Span } from '../clock.js';
import type { TokenRecord } from '../store/store.js';

export type TokenTimes = Pick<TokenRecord, 'issuedAtSeconds' | 'expiresAtSeconds'>;

/** Where a token's life turns: before it a device asking again gets the same token, from it a new one. */
export const halfLifeAt = (token: TokenTimes): number => (token.issuedAtSeconds + token.expiresAtSeconds) / 2;

/**
 * When a device asking again gets this token back: from its issue (a token issued after now, the
 * mock's clock set back, is refused by its nbf) until half its lifetime.
 */
export const reuseSpan = (token: TokenTimes): Span => ({
  from: token.issuedAtSeconds * 1000,
  until: halfLifeAt(token) * 1000,
});

export type TokenState = 'active' | 'renewable' | 'expired' | 'revoked';

/** A stored token at `nowMs`; only an `active` one is handed out again. */
export function tokenState(token: TokenTimes, revoked: boolean, nowMs: number): TokenState {
  if (revoked) return 'revoked';
  if (nowMs >= token.expiresAtSeconds * 1000) return 'expired';
  return nowMs >= halfLifeAt(token) * 1000 ? 'renewable' : 'active';
}
