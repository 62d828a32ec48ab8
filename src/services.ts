import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { DecisionLog } from './decisions/decision-log.js';
import { CertificateCache } from './pki/certificate-cache.js';
import { ChainVerifier } from './pki/chain-verifier.js';
import type { Store } from './store/store.js';
import { RevocationLists } from './tenants/crl.js';
import { Devices } from './tenants/devices.js';
import { TenantOptions } from './tenants/tenant-options.js';
import { Tenants } from './tenants/tenants.js';
import { TrustedCertificates } from './tenants/trusted-certificates.js';
import { loadSigningKey, type SigningKey } from './tokens/signing-key.js';
import { TokenAuthenticator } from './tokens/token-authenticator.js';
import { TokenIssuer } from './tokens/token-issuer.js';

/** What the application is built from; only the entry file makes these from the environment. */
export interface AppDeps {
  config: Config;
  clock: Clock;
  store: Store;
}

/** The domain services over one store, shared by all routes. */
export interface Services extends AppDeps {
  tenants: Tenants;
  options: TenantOptions;
  trust: TrustedCertificates;
  devices: Devices;
  crl: RevocationLists;
  certificates: CertificateCache;
  verifier: ChainVerifier;
  signingKey: SigningKey;
  issuer: TokenIssuer;
  authenticator: TokenAuthenticator;
  decisions: DecisionLog;
}

export async function createServices({ config, clock, store }: AppDeps): Promise<Services> {
  const trust = new TrustedCertificates(store, clock);
  const signingKey = await loadSigningKey(store, clock);
  return {
    config,
    clock,
    store,
    tenants: new Tenants(store),
    options: new TenantOptions(store, config.lifespanBelowMinimum),
    trust,
    devices: new Devices(store, clock),
    crl: new RevocationLists(store, clock),
    certificates: new CertificateCache(),
    verifier: new ChainVerifier(),
    signingKey,
    issuer: new TokenIssuer(store, clock, signingKey),
    authenticator: new TokenAuthenticator(store, clock, signingKey, trust),
    decisions: new DecisionLog(clock, config.decisionLogSize),
  };
}
