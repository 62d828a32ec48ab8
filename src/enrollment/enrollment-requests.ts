import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { isoDate } from '../clock.js';
import { Unauthorized } from '../errors.js';
import type { EnrollmentRequestRecord, Store } from '../store/store.js';
import { badCredentials, noRequest } from './refusals.js';

export type { EnrollmentRequestRecord };

/** The platform's limit on a one-time password (thin-edge: "Cumulocity limits … to 32 characters"). */
export const MAX_OTP_LENGTH = 32;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects
const CONTROL = /[\u0000-\u001f\u007f]/u;

/** Why a one-time password cannot be used, or undefined when it can. */
export function otpProblem(otp: string): string | undefined {
  if (otp === '') return 'the one-time password is empty';
  if (otp.length > MAX_OTP_LENGTH) {
    return `the one-time password has ${otp.length} characters; at most ${MAX_OTP_LENGTH} are allowed`;
  }
  if (CONTROL.test(otp) || /\s/u.test(otp))
    return 'the one-time password contains whitespace or control characters';
  return undefined;
}

/** A device registered for enrollment, with its one-time password. */
export interface EnrollmentRegistration {
  externalId: string;
  otp: string;
  type?: string | undefined;
  groupId?: string | undefined;
  /** The administrator who registers it. */
  owner: string;
  source: EnrollmentRequestRecord['source'];
}

const hashOtp = (otp: string, salt: Buffer) => createHash('sha256').update(salt).update(otp, 'utf8').digest();

/**
 * Registrations for enrollment: a device's ID and one-time password, usable
 * once and until it expires. The password is kept salted and hashed (a short
 * credential for one use: SHA-256, not the cost of a user password's scrypt).
 */
export class EnrollmentRequests {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #validityMs: number;

  constructor(store: Store, clock: Clock, validityMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#validityMs = validityMs;
  }

  /** Registers the device's password, replacing an earlier one (the platform's CREDENTIAL_UPDATED). */
  register(tenantId: string, registration: EnrollmentRegistration): EnrollmentRequestRecord {
    const problem = otpProblem(registration.otp);
    if (problem) throw new Error(`${problem}: check with otpProblem first`);
    const now = this.#clock.now();
    const salt = randomBytes(16);
    const record: EnrollmentRequestRecord = {
      tenantId,
      externalId: registration.externalId,
      otpHash: `sha256$${salt.toString('base64')}$${hashOtp(registration.otp, salt).toString('base64')}`,
      type: registration.type ?? null,
      groupId: registration.groupId ?? null,
      owner: registration.owner,
      source: registration.source,
      createdAt: now,
      expiresAt: now + this.#validityMs,
    };
    this.#store.putEnrollmentRequest(record);
    return record;
  }

  get(tenantId: string, externalId: string): EnrollmentRequestRecord | undefined {
    return this.#store.getEnrollmentRequest(tenantId, externalId);
  }

  list(tenantId: string): EnrollmentRequestRecord[] {
    return this.#store.listEnrollmentRequests(tenantId);
  }

  remove(tenantId: string, externalId: string): boolean {
    return this.#store.deleteEnrollmentRequest(tenantId, externalId);
  }

  expired(request: EnrollmentRequestRecord): boolean {
    return this.#clock.now() >= request.expiresAt;
  }

  /** The device's request when `otp` is its password and still usable; else the platform's 401. */
  check(tenantId: string, externalId: string, otp: string): EnrollmentRequestRecord {
    const request = this.#store.getEnrollmentRequest(tenantId, externalId);
    if (!request) {
      throw noRequest(
        `no enrollment request for '${externalId}' in tenant ${tenantId}: never registered, or its one-time password was used`,
      );
    }
    const [scheme, salt, hash] = request.otpHash.split('$');
    const expected = Buffer.from(hash ?? '', 'base64');
    const actual = hashOtp(otp, Buffer.from(salt ?? '', 'base64'));
    if (scheme !== 'sha256' || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw badCredentials(`wrong one-time password for '${externalId}' in tenant ${tenantId}`);
    }
    if (this.expired(request)) {
      throw new Unauthorized(
        `The one-time password of ${externalId} expired at ${isoDate(request.expiresAt)}; register the device again.`,
        { rule: 'enrollment-otp', reason: `one-time password of '${externalId}' expired` },
      );
    }
    return request;
  }
}
