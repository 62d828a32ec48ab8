import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { DecisionLog } from './decisions/decision-log.js';
import { createDeviceDataServices, type DeviceDataServices } from './device-data/services.js';
import { CertificateCache } from './pki/certificate-cache.js';
import { ChainVerifier } from './pki/chain-verifier.js';
import { type SeedSource, StateControl } from './state/state-control.js';
import type { Store } from './store/store.js';
import { RevocationLists } from './tenants/crl.js';
import { Devices } from './tenants/devices.js';
import { TenantOptions } from './tenants/tenant-options.js';
import { Tenants } from './tenants/tenants.js';
import { TrustedCertificates } from './tenants/trusted-certificates.js';
import { SigningKeys } from './tokens/signing-key.js';
import { TokenAuthenticator } from './tokens/token-authenticator.js';
import { TokenIssuer } from './tokens/token-issuer.js';

/** What the application is built from; only the entry file makes these from the environment. */
export interface AppDeps {
  config: Config;
  clock: Clock;
  store: Store;
  /** What a new store is seeded with and a reset returns to. */
  seed?: SeedSource | undefined;
}

/** The domain services over one store, shared by all routes. */
export interface Services extends AppDeps, DeviceDataServices {
  tenants: Tenants;
  options: TenantOptions;
  trust: TrustedCertificates;
  devices: Devices;
  crl: RevocationLists;
  certificates: CertificateCache;
  verifier: ChainVerifier;
  keys: SigningKeys;
  issuer: TokenIssuer;
  authenticator: TokenAuthenticator;
  decisions: DecisionLog;
  state: StateControl;
}

export async function createServices({ config, clock, store, seed }: AppDeps): Promise<Services> {
  const trust = new TrustedCertificates(store, clock);
  const keys = await SigningKeys.load(store, clock);
  const devices = new Devices(store, clock);
  const deviceData = createDeviceDataServices(store, clock, config.retention);
  if (config.autoRegistrationInventory) {
    devices.onAutoRegistered((device) => deviceData.deviceObjects.ensure(device.tenantId, device.externalId));
  }
  const services: Omit<Services, 'state'> & { state?: StateControl } = {
    config,
    clock,
    store,
    tenants: new Tenants(store),
    options: new TenantOptions(store, config.lifespanBelowMinimum),
    trust,
    devices,
    ...deviceData,
    crl: new RevocationLists(store, clock),
    certificates: new CertificateCache(),
    verifier: new ChainVerifier(),
    keys,
    issuer: new TokenIssuer(store, clock, keys),
    authenticator: new TokenAuthenticator(store, clock, keys, trust),
    decisions: new DecisionLog(clock, config.decisionLogSize),
  };
  services.state = new StateControl(services as Services, seed);
  return services as Services;
}
