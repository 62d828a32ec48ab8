import type { Clock } from '../clock.js';
import { UnprocessableEntity } from '../errors.js';
import type { GroupCommit } from '../group-commit.js';
import type { Certificate } from '../pki/certificate.js';
import type { Anchor } from '../pki/trust-index.js';
import type { DeviceRecord, Registration, Store } from '../store/store.js';

/** RFC 5280's upper bound for a common name. */
export const MAX_EXTERNAL_ID_LENGTH = 64;
/** Characters Cumulocity refuses in user names and MQTT client IDs. */
const FORBIDDEN = /[\s/\\:+$]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

export type { DeviceRecord };

/** A device's user is its external ID behind this prefix (`device_<CN>`). */
const DEVICE_USER_PREFIX = 'device_';

export const deviceUserName = (externalId: string): string => `${DEVICE_USER_PREFIX}${externalId}`;

/** The external ID of a device user; a name without the prefix is returned as it is. */
export const externalIdOf = (userName: string): string =>
  userName.startsWith(DEVICE_USER_PREFIX) ? userName.slice(DEVICE_USER_PREFIX.length) : userName;

/** Why a certificate's CN cannot name a device, or undefined when it can. */
export function externalIdProblem(commonNames: readonly string[]): string | undefined {
  if (commonNames.length === 0) return 'the leaf certificate has no CN in its subject';
  if (commonNames.length > 1)
    return `the leaf certificate has ${commonNames.length} CNs; exactly one is required`;
  const cn = commonNames[0]!;
  if (cn === '') return 'the leaf certificate CN is empty';
  if (cn.length > MAX_EXTERNAL_ID_LENGTH) {
    return `the leaf certificate CN has ${cn.length} characters; at most ${MAX_EXTERNAL_ID_LENGTH} are allowed`;
  }
  if (CONTROL.test(cn)) return 'the leaf certificate CN contains control characters';
  if (FORBIDDEN.test(cn)) {
    return `the leaf certificate CN ${JSON.stringify(cn)} contains a character that is not allowed in a device ID (whitespace, / \\ : + $)`;
  }
  if (cn.includes('..')) return `the leaf certificate CN ${JSON.stringify(cn)} contains '..'`;
  return undefined;
}

/** A device a login resolved. */
export interface ResolvedDevice {
  device: DeviceRecord;
  registered: boolean;
  /**
   * Settles once its registration, by this login or another one of the turn, is committed;
   * undefined when the device is stored already (no promise, no turn of the microtask queue).
   */
  stored: Promise<void> | undefined;
}

const keyOf = (tenantId: string, externalId: string) => `${tenantId}\0${externalId}`;

/** Devices known to a tenant, and the registration rule of the token endpoint. */
export class Devices {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #commit: GroupCommit;
  readonly #autoRegistered = new Set<(device: DeviceRecord) => void>();
  readonly #disabled = new Set<(device: DeviceRecord) => void>();
  /**
   * Devices a login registered whose write waits for the group commit, by key, each as its
   * latest record: a write to one in between (disabling it) is made at once and also kept here,
   * so the group's write cannot undo it. Reads through this class see them.
   */
  readonly #unwritten = new Map<string, DeviceRecord>();
  /** The group's write of each registration until it settles: another login of the device waits for it too. */
  readonly #writes = new Map<string, Promise<void>>();

  /**
   * `commit`: a login's registration is written with the other writes of its turn of the event
   * loop (its own commit was a twentieth of a new device's token on the main thread, issue 19).
   */
  constructor(store: Store, clock: Clock, commit: GroupCommit) {
    this.#store = store;
    this.#clock = clock;
    this.#commit = commit;
  }

  /** Hears each device registered by its first token request; returns the unsubscribe function. */
  onAutoRegistered(listener: (device: DeviceRecord) => void): () => void {
    this.#autoRegistered.add(listener);
    return () => this.#autoRegistered.delete(listener);
  }

  /** Hears each device user disabled (a door ends its connections); returns the unsubscribe function. */
  onDisabled(listener: (device: DeviceRecord) => void): () => void {
    this.#disabled.add(listener);
    return () => this.#disabled.delete(listener);
  }

  /** Enables or disables a device's user (the platform's user API); undefined for an unknown device. */
  setEnabled(tenantId: string, externalId: string, enabled: boolean): DeviceRecord | undefined {
    const existing = this.get(tenantId, externalId);
    if (!existing) return undefined;
    if ((existing.enabled !== false) === enabled) return existing;
    const { enabled: _, ...rest } = existing;
    const updated: DeviceRecord = enabled ? rest : { ...rest, enabled: false };
    this.#put(updated);
    if (!enabled) for (const listener of this.#disabled) listener(updated);
    return updated;
  }

  list(tenantId: string): DeviceRecord[] {
    const stored = this.#store.listDevices(tenantId);
    const unwritten = [...this.#unwritten.values()].filter((device) => device.tenantId === tenantId);
    if (unwritten.length === 0) return stored;
    const known = new Set(stored.map((device) => device.externalId));
    return [...stored, ...unwritten.filter((device) => !known.has(device.externalId))].sort((a, b) =>
      a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0,
    );
  }

  get(tenantId: string, externalId: string): DeviceRecord | undefined {
    return this.#unwritten.get(keyOf(tenantId, externalId)) ?? this.#store.getDevice(tenantId, externalId);
  }

  /**
   * Sets aside the registrations still waiting for the group commit while the state they were
   * made in is replaced (reset, import): they belong to it, and their writes then do nothing.
   * Returns what puts them back, for a replacement that failed.
   */
  setAsideUnwritten(): () => void {
    const setAside = new Map(this.#unwritten);
    this.#unwritten.clear();
    return () => {
      for (const [key, device] of setAside) if (!this.#unwritten.has(key)) this.#unwritten.set(key, device);
    };
  }

  /** Registers a device in advance (seed file or bulk registration); an existing one is kept. */
  register(tenantId: string, externalId: string, registration: Registration): DeviceRecord {
    const existing = this.get(tenantId, externalId);
    if (existing) return existing;
    const device: DeviceRecord = {
      tenantId,
      externalId,
      userName: deviceUserName(externalId),
      registration,
      registeredAt: this.#clock.now(),
      anchorFingerprint: null,
      certificateFingerprint: null,
      certificateSubject: null,
    };
    this.#put(device);
    return device;
  }

  /**
   * The device a verified leaf certificate stands for: known already, or
   * registered now when its anchor has auto-registration on; otherwise refused.
   */
  resolve(leaf: Certificate, anchor: Anchor): ResolvedDevice {
    const problem = externalIdProblem(leaf.commonNames);
    if (problem) {
      throw new UnprocessableEntity('Invalid Data', 'Cannot process certificate data.', {
        rule: 'device-id',
        reason: problem,
      });
    }
    const externalId = leaf.commonNames[0]!;
    const key = keyOf(anchor.tenantId, externalId);
    const existing = this.#unwritten.get(key) ?? this.#store.getDevice(anchor.tenantId, externalId);
    if (existing) {
      const stored = this.#writes.get(key);
      // Written only when the device shows another certificate or anchor, not on every request.
      if (
        existing.anchorFingerprint !== anchor.certificate.fingerprint ||
        existing.certificateFingerprint !== leaf.fingerprint
      ) {
        const updated: DeviceRecord = {
          ...existing,
          anchorFingerprint: anchor.certificate.fingerprint,
          certificateFingerprint: leaf.fingerprint,
          certificateSubject: leaf.subject,
        };
        this.#put(updated);
        return { device: updated, registered: false, stored };
      }
      return { device: existing, registered: false, stored };
    }
    if (!anchor.autoRegistrationEnabled) {
      throw new UnprocessableEntity(
        'Auto registeration is failed for device/Unprocessable Entity',
        'Cannot process certificate data.',
        {
          rule: 'registration',
          reason: `device '${externalId}' is not registered in tenant ${anchor.tenantId}, and auto-registration is off for trusted certificate '${anchor.name}'`,
        },
      );
    }
    const device: DeviceRecord = {
      tenantId: anchor.tenantId,
      externalId,
      userName: deviceUserName(externalId),
      registration: 'auto',
      registeredAt: this.#clock.now(),
      anchorFingerprint: anchor.certificate.fingerprint,
      certificateFingerprint: leaf.fingerprint,
      certificateSubject: leaf.subject,
    };
    this.#unwritten.set(key, device);
    const stored = this.#commit.run(() => {
      const latest = this.#unwritten.get(key);
      // Gone: the state was replaced in between, and the registration with it.
      if (latest === undefined) return;
      this.#unwritten.delete(key);
      this.#store.putDevice(latest);
    });
    this.#writes.set(key, stored);
    // Awaited by the login's door; a login refused after this point still gets its device stored.
    stored
      .catch(() => {})
      .finally(() => {
        if (this.#writes.get(key) === stored) this.#writes.delete(key);
      });
    for (const listener of this.#autoRegistered) listener(device);
    return { device, registered: true, stored };
  }

  /** Writes now, and keeps an unwritten registration of the device at this record. */
  #put(device: DeviceRecord): void {
    this.#store.putDevice(device);
    const key = keyOf(device.tenantId, device.externalId);
    if (this.#unwritten.has(key)) this.#unwritten.set(key, device);
  }
}
