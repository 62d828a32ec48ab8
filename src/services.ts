import { AdminSecret } from './auth/admin-secret.js';
import { type Clock, ControllableClock } from './clock.js';
import type { Config } from './config.js';
import { DecisionLog } from './decisions/decision-log.js';
import { Alarms } from './device-data/alarms.js';
import { DeviceObjects } from './device-data/device-objects.js';
import { Events } from './device-data/events.js';
import { Identity } from './device-data/identity.js';
import { Inventory } from './device-data/inventory.js';
import { Measurements } from './device-data/measurements.js';
import { Operations } from './device-data/operations.js';
import { CertificateAuthorities } from './enrollment/certificate-authorities.js';
import { Enrollment } from './enrollment/enrollment.js';
import { EnrollmentRequests } from './enrollment/enrollment-requests.js';
import { IssuedCertificates } from './enrollment/issued-certificates.js';
import { Faults } from './faults/faults.js';
import { GroupCommit } from './group-commit.js';
import { CertificateReader } from './login/certificate-reader.js';
import { ChainCheck } from './login/chain-check.js';
import { DeviceLogin } from './login/device-login.js';
import { MqttSessions } from './mqtt/sessions.js';
import { staticTemplates } from './mqtt/static-templates.js';
import type { Templates } from './mqtt/templates.js';
import { CertificateCache } from './pki/certificate-cache.js';
import { ChainVerifier } from './pki/chain-verifier.js';
import { Seeder } from './seed/seed.js';
import { type SeedSource, StateControl } from './state/state-control.js';
import type { Store } from './store/store.js';
import { BulkRegistration } from './tenants/bulk-registration.js';
import { RevocationLists } from './tenants/crl.js';
import { CrlSigningKey } from './tenants/crl-signing-key.js';
import { Devices } from './tenants/devices.js';
import { FeatureToggles } from './tenants/feature-toggles.js';
import type { ScryptCost } from './tenants/passwords.js';
import { ProofOfPossession } from './tenants/proof-of-possession.js';
import { TenantOptions } from './tenants/tenant-options.js';
import { Tenants } from './tenants/tenants.js';
import { TrustedCertificates } from './tenants/trusted-certificates.js';
import { SigningKeys } from './tokens/signing-key.js';
import { TokenAuthenticator } from './tokens/token-authenticator.js';
import { TokenIssuer } from './tokens/token-issuer.js';
import { Tokens } from './tokens/tokens.js';
import { UiSessions } from './ui/sessions.js';

/** What the services are built from; only the entry makes these from the environment. */
export interface AppDeps {
  config: Config;
  clock: Clock;
  store: Store;
  /** What a new store is seeded with and a reset returns to. */
  seed?: SeedSource | undefined;
  /**
   * How seeded passwords are hashed; default scrypt's interactive cost (SCRYPT_COST), some 40 ms
   * of CPU per password by design. The tests pass a cheap cost: they seed hundreds of servers.
   */
  passwordCost?: ScryptCost | undefined;
}

/**
 * The domain services over one store, each built once, here. A door or
 * plugin is handed the few it uses; none is handed the store or the config.
 */
export interface Services {
  /** The mock's clock: the deps' clock plus what the control API set (GET/PUT /_mock/clock). */
  clock: ControllableClock;
  tenants: Tenants;
  options: TenantOptions;
  /** Features switched per tenant (the platform's /features API): the device access token. */
  features: FeatureToggles;
  trust: TrustedCertificates;
  devices: Devices;
  bulkRegistration: BulkRegistration;
  crl: RevocationLists;
  proofOfPossession: ProofOfPossession;
  keys: SigningKeys;
  issuer: TokenIssuer;
  authenticator: TokenAuthenticator;
  tokens: Tokens;
  decisions: DecisionLog;
  chains: ChainCheck;
  login: DeviceLogin;
  seeder: Seeder;
  state: StateControl;
  adminSecret: AdminSecret;
  uiSessions: UiSessions;
  // The device data APIs (issue 15).
  inventory: Inventory;
  identity: Identity;
  measurements: Measurements;
  events: Events;
  alarms: Alarms;
  operations: Operations;
  deviceObjects: DeviceObjects;
  // The tenant CA and EST enrollment (issue 16).
  authorities: CertificateAuthorities;
  enrollmentRequests: EnrollmentRequests;
  issuedCertificates: IssuedCertificates;
  enrollment: Enrollment;
  /** The devices connected over MQTT (the door adds them; reset and import end them). */
  mqttSessions: MqttSessions;
  /** The SmartREST static templates the MQTT door understands. */
  templates: Templates;
  /** The fault rules a test suite set (/_mock/faults), asked by every door. */
  faults: Faults;
  /** Several writes as one transaction of the store (the MQTT door's messages of one turn). */
  transaction<T>(work: () => T): T;
  /** The writes of one turn of the event loop, committed together (new tokens, POST measurements). */
  groupCommit: GroupCommit;
}

/** Builds every service in dependency order: each constructor gets finished objects only. */
export async function createServices({
  config,
  clock: base,
  store,
  seed,
  passwordCost,
}: AppDeps): Promise<Services> {
  // Built once, here: every service that judges time reads this one, so moving it moves them all.
  const clock = new ControllableClock(base);
  const keys = await SigningKeys.load(store, clock);
  const crlKey = await CrlSigningKey.load(store, clock);
  const tenants = new Tenants(store);
  const options = new TenantOptions(store, config.lifespanBelowMinimum);
  const features = new FeatureToggles(store);
  const trust = new TrustedCertificates(store, clock);
  const crl = new RevocationLists(store, clock, crlKey);
  const groupCommit = new GroupCommit((work) => store.transaction(work));
  const devices = new Devices(store, clock, groupCommit);
  const issuer = new TokenIssuer(store, clock, keys, groupCommit);
  const authenticator = new TokenAuthenticator(store, clock, keys, trust);
  const decisions = new DecisionLog(clock, config.decisionLogSize);
  const faults = new Faults(clock, decisions);
  const chains = new ChainCheck({
    reader: new CertificateReader(new CertificateCache()),
    verifier: new ChainVerifier(),
    trust,
    crl,
    options,
    clock,
  });
  const seeder = new Seeder({ store, clock, options, trust, devices, passwordCost });
  const inventory = new Inventory(store, clock);
  const deviceObjects = new DeviceObjects(store, inventory);
  if (config.autoRegistrationInventory) {
    devices.onAutoRegistered((device) => deviceObjects.ensure(device.tenantId, device.externalId));
  }
  const { enrollment: est } = config;
  const authorities = new CertificateAuthorities({
    store,
    clock,
    trust,
    settings: {
      subject: est.caSubject,
      validityMs: est.caValidityMs,
      autoRegistration: est.caAutoRegistration,
    },
  });
  const enrollmentRequests = new EnrollmentRequests(store, clock, est.otpValidityMs);
  const issuedCertificates = new IssuedCertificates(store);
  const identity = new Identity(store, inventory);
  const measurements = new Measurements(store, inventory, { keep: config.retention.maxMeasurements });
  const events = new Events(store, inventory, clock, { keep: config.retention.maxEvents });
  const alarms = new Alarms(store, inventory, clock, { keep: config.retention.maxAlarms });
  const operations = new Operations(store, inventory, clock);
  const mqttSessions = new MqttSessions();
  return {
    clock,
    tenants,
    options,
    trust,
    devices,
    bulkRegistration: new BulkRegistration({ store, devices, deviceObjects, requests: enrollmentRequests }),
    crl,
    proofOfPossession: new ProofOfPossession(trust, clock),
    keys,
    issuer,
    authenticator,
    tokens: new Tokens({
      store,
      clock,
      pruneClock: { now: () => Math.min(clock.now(), base.now()) },
      authenticator,
    }),
    decisions,
    chains,
    features,
    login: new DeviceLogin({
      chains,
      devices,
      tenants,
      options,
      features,
      issuer,
      decisions,
      trustedProxies: config.trustedProxies,
      clock,
      stateVersion: () => store.writes,
    }),
    seeder,
    state: new StateControl(
      {
        store,
        clock,
        seeder,
        devices,
        trust,
        keys,
        crlKey,
        authenticator,
        decisions,
        authorities,
        mqttSessions,
        testState: [{ clear: () => clock.real() }, faults],
      },
      seed,
    ),
    adminSecret: new AdminSecret(config.adminSecret),
    // A sign-in's idle timeout is a real timeout: moving the mock's clock does not sign the trainer out.
    uiSessions: new UiSessions(base),
    inventory,
    identity,
    measurements,
    events,
    alarms,
    operations,
    deviceObjects,
    authorities,
    enrollmentRequests,
    issuedCertificates,
    enrollment: new Enrollment({
      store,
      commit: groupCommit,
      clock,
      authorities,
      requests: enrollmentRequests,
      issued: issuedCertificates,
      devices,
      deviceObjects,
      decisions,
      validityMs: est.issuedCertificateValidityMs,
    }),
    mqttSessions,
    faults,
    transaction: (work) => store.transaction(work),
    groupCommit,
    templates: staticTemplates({ inventory, deviceObjects, measurements, events, alarms, operations, clock }),
  };
}
