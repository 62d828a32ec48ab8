import type { Clock } from '../clock.js';
import { UnprocessableEntity } from '../errors.js';
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

/** Devices known to a tenant, and the registration rule of the token endpoint. */
export class Devices {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #autoRegistered = new Set<(device: DeviceRecord) => void>();
  readonly #disabled = new Set<(device: DeviceRecord) => void>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
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
    const existing = this.#store.getDevice(tenantId, externalId);
    if (!existing) return undefined;
    if ((existing.enabled !== false) === enabled) return existing;
    const { enabled: _, ...rest } = existing;
    const updated: DeviceRecord = enabled ? rest : { ...rest, enabled: false };
    this.#store.putDevice(updated);
    if (!enabled) for (const listener of this.#disabled) listener(updated);
    return updated;
  }

  list(tenantId: string): DeviceRecord[] {
    return this.#store.listDevices(tenantId);
  }

  get(tenantId: string, externalId: string): DeviceRecord | undefined {
    return this.#store.getDevice(tenantId, externalId);
  }

  /** Registers a device in advance (seed file or bulk registration); an existing one is kept. */
  register(tenantId: string, externalId: string, registration: Registration): DeviceRecord {
    const existing = this.#store.getDevice(tenantId, externalId);
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
    this.#store.putDevice(device);
    return device;
  }

  /**
   * The device a verified leaf certificate stands for: known already, or
   * registered now when its anchor has auto-registration on; otherwise refused.
   */
  resolve(leaf: Certificate, anchor: Anchor): { device: DeviceRecord; registered: boolean } {
    const problem = externalIdProblem(leaf.commonNames);
    if (problem) {
      throw new UnprocessableEntity('Invalid Data', 'Cannot process certificate data.', {
        rule: 'device-id',
        reason: problem,
      });
    }
    const externalId = leaf.commonNames[0]!;
    const existing = this.#store.getDevice(anchor.tenantId, externalId);
    if (existing) {
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
        this.#store.putDevice(updated);
        return { device: updated, registered: false };
      }
      return { device: existing, registered: false };
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
    this.#store.putDevice(device);
    for (const listener of this.#autoRegistered) listener(device);
    return { device, registered: true };
  }
}
