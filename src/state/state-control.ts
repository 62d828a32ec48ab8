import type { Clock } from '../clock.js';
import type { DecisionLog } from '../decisions/decision-log.js';
import type { CertificateAuthorities } from '../enrollment/certificate-authorities.js';
import { UnprocessableEntity } from '../errors.js';
import type { Seed, Seeder } from '../seed/seed.js';
import { ImportRowError, type Store } from '../store/store.js';
import type { CrlSigningKey } from '../tenants/crl-signing-key.js';
import type { Devices } from '../tenants/devices.js';
import type { TrustedCertificates } from '../tenants/trusted-certificates.js';
import type { SigningKeys } from '../tokens/signing-key.js';
import type { TokenAuthenticator } from '../tokens/token-authenticator.js';
import { findUnreadable } from './readable-records.js';
import { fromSnapshot, type Snapshot, toSnapshot } from './snapshot.js';
import { referenceProblem } from './state-references.js';

/** Where the seed comes from: read again on every reset, so an edited seed file takes effect. */
export interface SeedSource {
  /** Named in messages, e.g. the seed file's path. */
  source: string;
  load(): Seed;
}

export interface StateControlDeps {
  store: Store;
  clock: Clock;
  seeder: Seeder;
  /** Its registrations still waiting for the group commit belong to the state an import replaces. */
  devices: Devices;
  /** What is derived from the store and must be rebuilt when the store is replaced. */
  trust: TrustedCertificates;
  keys: SigningKeys;
  crlKey: CrlSigningKey;
  authenticator: TokenAuthenticator;
  decisions: DecisionLog;
  authorities: CertificateAuthorities;
  /** Connections of devices that may be gone from the new state: ended. */
  mqttSessions?: { closeAll(): number } | undefined;
  /** What a test suite set that is not state (the clock's offset, fault rules): a reset clears it. */
  testState?: readonly { clear(): void }[] | undefined;
}

/** The state as a whole: seeding a new store, reset to the seed, export and import. */
export class StateControl {
  readonly #deps: StateControlDeps;
  readonly #seed: SeedSource | undefined;

  constructor(deps: StateControlDeps, seed: SeedSource | undefined) {
    this.#deps = deps;
    this.#seed = seed;
  }

  get seedSource(): string | undefined {
    return this.#seed?.source;
  }

  /** Applies the seed to a store that has never been seeded; a restart keeps existing state. */
  async initialize(): Promise<boolean> {
    if (!this.#seed || this.#deps.seeder.isSeeded()) return false;
    await this.#deps.seeder.apply(this.#seed.load(), this.#seed.source);
    return true;
  }

  async reset(): Promise<void> {
    if (!this.#seed)
      throw new UnprocessableEntity(
        'state/Unprocessable Entity',
        'This mock was started without a seed to reset to.',
      );
    // First, so the seed is applied at real time.
    for (const item of this.#deps.testState ?? []) item.clear();
    await this.#deps.seeder.apply(this.#seed.load(), this.#seed.source, { replace: true });
    await this.#reloaded();
  }

  export(): Snapshot {
    const { store, clock } = this.#deps;
    return toSnapshot(store.exportTables(), store.schemaVersion, new Date(clock.now()).toISOString());
  }

  /**
   * Replaces the state with an export. The export carries both keys (its
   * tokens and CRLs then verify here); one from before the CRL key was kept
   * (schema 2) leaves this mock's CRL key in place. A tenant CA's key is never
   * exported: it stays here when the import holds its certificate in the same
   * tenant (a snapshot of this mock taken back), and is otherwise absent, so
   * the certificate is then an ordinary trusted certificate, not a CA.
   */
  async import(data: unknown): Promise<void> {
    const { store } = this.#deps;
    const tables = fromSnapshot(data, store.schemaVersion);
    // Certificates and keys that cannot be read are refused before anything is replaced,
    // instead of breaking the mock after (or at its next start).
    const problem = referenceProblem(tables);
    if (problem) throw new UnprocessableEntity('state/Unprocessable Entity', `Invalid state: ${problem}`);
    const unreadable = await findUnreadable(tables);
    if (unreadable) {
      const { table, index, field, why } = unreadable;
      throw new UnprocessableEntity(
        'state/Unprocessable Entity',
        `Invalid state: tables.${table}[${index}].${field}: ${why}`,
      );
    }
    const current = store.getCrlSigningKey();
    if (tables.crlSigningKeys.length === 0 && current) tables.crlSigningKeys = [current];
    const imported = new Set(tables.trustedCertificates.map((c) => `${c.tenantId} ${c.fingerprint}`));
    const certificateAuthorityKeys = store
      .listCertificateAuthorityKeys()
      .filter((key) => imported.has(`${key.tenantId} ${key.fingerprint}`));
    const putBack = this.#deps.devices.setAsideUnwritten();
    try {
      store.importTables(tables, { certificateAuthorityKeys });
    } catch (error) {
      putBack();
      // Constraint violations (a duplicate key) leave the old state in place.
      throw new UnprocessableEntity('state/Unprocessable Entity', `Invalid state: ${refusedRow(error)}`);
    }
    await this.#reloaded();
  }

  /**
   * Everything derived from the store is rebuilt; remembered token signatures
   * are forgotten; MQTT devices are disconnected (they reconnect into the new state).
   */
  async #reloaded(): Promise<void> {
    const { trust, keys, crlKey, authenticator, decisions, authorities, mqttSessions } = this.#deps;
    mqttSessions?.closeAll();
    trust.reload();
    authorities.forget();
    await keys.reload();
    await crlKey.reload();
    authenticator.forget();
    decisions.clear();
  }
}

/** A row the database refused, named as the export names it: `tables.tenants[1].domain: …`. */
function refusedRow(error: unknown): string {
  if (!(error instanceof ImportRowError)) return (error as Error).message;
  const row = `tables.${error.table}[${error.index}]`;
  const [field, ...more] = error.fields;
  if (field === undefined) return `${row}: ${error.message}`;
  if (more.length === 0) return `${row}.${field}: another record has the same value (${error.message})`;
  return `${row}: another record has the same ${error.fields.join(', ')} (${error.message})`;
}
