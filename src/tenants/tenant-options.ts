import { NotFound, UnprocessableEntity } from '../errors.js';
import type { OptionRecord, Store } from '../store/store.js';

export type { OptionRecord };

export const LIFESPAN = { category: 'oauth.internal', key: 'device-token.lifespan.seconds' } as const;
export const CRL_OFFLINE = { category: 'configuration', key: 'crl.offline.check.enabled' } as const;
export const DEFAULT_LIFESPAN_SECONDS = 3600;
export const MIN_LIFESPAN_SECONDS = 300;
/**
 * [INF] The platform documents no maximum. 365 days keeps a token's `exp` a valid date and a
 * safe integer (a 20-digit lifespan made `exp` 1e20, which no client could read), and is far
 * longer than anyone tests with.
 */
export const MAX_LIFESPAN_SECONDS = 365 * 86_400;

/** What to do with a device-token lifespan below the documented 300 s minimum ([INF]: the platform's choice is not public). */
export type BelowMinimumPolicy = 'reject' | 'clamp';

/** Tenant options: the values the platform stores as strings, and the rules for the ones the mock acts on. */
export class TenantOptions {
  readonly #store: Store;
  readonly #belowMinimum: BelowMinimumPolicy;

  constructor(store: Store, belowMinimum: BelowMinimumPolicy) {
    this.#store = store;
    this.#belowMinimum = belowMinimum;
  }

  list(tenantId: string): OptionRecord[] {
    return this.#store.listOptions(tenantId);
  }

  get(tenantId: string, category: string, key: string): OptionRecord {
    const option = this.#store.getOption(tenantId, category, key);
    if (!option) throw new NotFound('options', `Unable to find option by given key: ${category}/${key}`);
    return option;
  }

  find(tenantId: string, category: string, key: string): string | undefined {
    return this.#store.getOption(tenantId, category, key)?.value;
  }

  set(option: OptionRecord): OptionRecord {
    this.validate(option.category, option.key, option.value);
    this.#store.putOption(option);
    return option;
  }

  /** Sets several options at once: every one passes the rules, or none is written. */
  setAll(options: OptionRecord[]): OptionRecord[] {
    for (const option of options) this.validate(option.category, option.key, option.value);
    this.#store.transaction(() => {
      for (const option of options) this.#store.putOption(option);
    });
    return options;
  }

  delete(tenantId: string, category: string, key: string): void {
    if (!this.#store.deleteOption(tenantId, category, key)) {
      throw new NotFound('options', `Unable to find option by given key: ${category}/${key}`);
    }
  }

  /** Throws a 422 that names the rule when a value is not acceptable. */
  validate(category: string, key: string, value: string): void {
    if (category === LIFESPAN.category && key === LIFESPAN.key) {
      if (!/^\d+$/.test(value)) {
        throw new UnprocessableEntity(
          'options/Unprocessable Entity',
          `${category}/${key} must be a whole number of seconds from ${MIN_LIFESPAN_SECONDS} (5 minutes) to ${MAX_LIFESPAN_SECONDS} (365 days); got ${JSON.stringify(value)}`,
        );
      }
      if (Number(value) > MAX_LIFESPAN_SECONDS) {
        throw new UnprocessableEntity(
          'options/Unprocessable Entity',
          `${category}/${key} must be at most ${MAX_LIFESPAN_SECONDS} seconds (365 days); got ${value}`,
        );
      }
      if (Number(value) < MIN_LIFESPAN_SECONDS && this.#belowMinimum === 'reject') {
        throw new UnprocessableEntity(
          'options/Unprocessable Entity',
          `${category}/${key} must be at least ${MIN_LIFESPAN_SECONDS} seconds (5 minutes); got ${value}`,
        );
      }
    }
  }

  /**
   * The device-token lifetime in seconds: default 3600, never below the 300 s minimum nor above
   * the maximum (an imported state may hold a value the API would refuse).
   */
  lifespanSeconds(tenantId: string): number {
    const value = this.find(tenantId, LIFESPAN.category, LIFESPAN.key);
    const seconds = value !== undefined && /^\d+$/.test(value) ? Number(value) : DEFAULT_LIFESPAN_SECONDS;
    return Math.min(Math.max(seconds, MIN_LIFESPAN_SECONDS), MAX_LIFESPAN_SECONDS);
  }

  crlOfflineCheck(tenantId: string): boolean {
    return this.find(tenantId, CRL_OFFLINE.category, CRL_OFFLINE.key) === 'true';
  }
}
