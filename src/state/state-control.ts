import type { Clock } from '../clock.js';
import { UnprocessableEntity } from '../errors.js';
import { applySeed, isSeeded, type Seed } from '../seed/seed.js';
import type { Services } from '../services.js';
import { fromSnapshot, type Snapshot, toSnapshot } from './snapshot.js';

/** Where the seed comes from: read again on every reset, so an edited seed file takes effect. */
export interface SeedSource {
  /** Named in messages, e.g. the seed file's path. */
  source: string;
  load(): Seed;
}

/** The state as a whole: seeding a new store, reset to the seed, export and import. */
export class StateControl {
  readonly #services: Services;
  readonly #seed: SeedSource | undefined;
  readonly #clock: Clock;

  constructor(services: Services, seed: SeedSource | undefined) {
    this.#services = services;
    this.#seed = seed;
    this.#clock = services.clock;
  }

  get seedSource(): string | undefined {
    return this.#seed?.source;
  }

  /** Applies the seed to a store that has never been seeded; a restart keeps existing state. */
  async initialize(): Promise<boolean> {
    if (!this.#seed || isSeeded(this.#services)) return false;
    await applySeed(this.#seed.load(), this.#services, this.#seed.source);
    return true;
  }

  async reset(): Promise<void> {
    if (!this.#seed)
      throw new UnprocessableEntity(
        'state/Unprocessable Entity',
        'This mock was started without a seed to reset to.',
      );
    await applySeed(this.#seed.load(), this.#services, this.#seed.source, { replace: true });
    await this.#reloaded();
  }

  export(): Snapshot {
    const { store } = this.#services;
    return toSnapshot(store.exportTables(), store.schemaVersion, new Date(this.#clock.now()).toISOString());
  }

  async import(data: unknown): Promise<void> {
    const { store } = this.#services;
    const tables = fromSnapshot(data, store.schemaVersion);
    try {
      store.importTables(tables);
    } catch (error) {
      // Constraint violations (a row naming a missing tenant, a duplicate key) leave the old state in place.
      throw new UnprocessableEntity(
        'state/Unprocessable Entity',
        `Invalid state: ${(error as Error).message}`,
      );
    }
    await this.#reloaded();
  }

  /** Everything derived from the store is rebuilt; remembered token signatures are forgotten. */
  async #reloaded(): Promise<void> {
    const { trust, keys, authenticator, decisions } = this.#services;
    trust.reload();
    await keys.reload();
    authenticator.forget();
    decisions.clear();
  }
}
