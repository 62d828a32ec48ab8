import type { Store } from '../store/store.js';

/**
 * The device-token feature's key. The platform switches features per tenant through its Feature
 * Toggles API (`/features/{key}/by-tenant`, as the docs show for `certificate-authority`); the
 * device access token's key is not public, so this name is the mock's.
 */
export const DEVICE_ACCESS_TOKEN_FEATURE = 'device-access-token';

/** A feature as `/features` shows it for the current tenant. */
export interface FeatureToggle {
  key: string;
  phase: string;
  active: boolean;
  strategy: 'TENANT';
}

/** The features the mock knows, with their phase and whether they are on until a tenant switches them. */
const FEATURES: Readonly<Record<string, { phase: string; active: boolean }>> = {
  [DEVICE_ACCESS_TOKEN_FEATURE]: { phase: 'GENERALLY_AVAILABLE', active: true },
};

/** Features switched on or off per tenant; a tenant that never switched one has its default. */
export class FeatureToggles {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  list(tenantId: string): FeatureToggle[] {
    return Object.keys(FEATURES).map((key) => this.get(tenantId, key)!);
  }

  /** The feature as the tenant has it; undefined for a key the mock does not know. */
  get(tenantId: string, key: string): FeatureToggle | undefined {
    const feature = FEATURES[key];
    if (!feature) return undefined;
    const switched = this.#store.listFeatureToggles(tenantId).find((toggle) => toggle.key === key);
    return { key, phase: feature.phase, active: switched?.active ?? feature.active, strategy: 'TENANT' };
  }

  /** Switches a feature for one tenant; undefined for a key the mock does not know. */
  set(tenantId: string, key: string, active: boolean): FeatureToggle | undefined {
    if (!FEATURES[key]) return undefined;
    this.#store.putFeatureToggle({ tenantId, key, active });
    return this.get(tenantId, key);
  }

  isActive(tenantId: string, key: string): boolean {
    return this.get(tenantId, key)?.active !== false;
  }
}
