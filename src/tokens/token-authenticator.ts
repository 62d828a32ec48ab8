import { errors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { type Clock, toSeconds } from '../clock.js';
import { UNAUTHORIZED, Unauthorized } from '../errors.js';
import type { DeviceRecord, Store, TenantRecord, TokenRecord } from '../store/store.js';
import { externalIdOf } from '../tenants/devices.js';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';
import type { SigningKeys } from './signing-key.js';
import { tokenHash } from './token-hash.js';
import { DEVICE_TOKEN_CONFIG, type DeviceTokenClaims } from './token-issuer.js';

export interface DeviceSession {
  kind: 'device';
  tenant: TenantRecord;
  device: DeviceRecord;
  claims: DeviceTokenClaims;
  jwt: string;
  hash: string;
}

/** A token whose signature this mock verified, with its claims and hash. */
interface Verified {
  jwt: string;
  claims: DeviceTokenClaims;
  hash: string;
}

/** The last 32 characters of a token: its signature's last 24 bytes, which no two tokens share by chance. */
const verifiedKey = (jwt: string) => jwt.slice(-32);

const refuse = (reason: string, rule: string) => new Unauthorized(UNAUTHORIZED.credentials, { reason, rule });

/**
 * Checks a device token on every use: signature (remembered per token), time,
 * revocation, tenant and domain, device, and the anchor it was issued under.
 */
export class TokenAuthenticator {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #keys: SigningKeys;
  readonly #trust: TrustRegistry;
  // Keyed by the end of the token's signature, not the whole token: hashing its 800 characters
  // cost more than the rest of the lookup (issue 19). An entry keeps its token, and only the same
  // token finds it.
  readonly #verified = new LRUCache<string, Verified>({ max: 20_000 });
  /** How many times the remembered signatures were forgotten (see `stateVersion`). */
  #forgotten = 0;

  constructor(store: Store, clock: Clock, keys: SigningKeys, trust: TrustRegistry) {
    this.#store = store;
    this.#clock = clock;
    this.#keys = keys;
    this.#trust = trust;
  }

  /** `hostTenant`: the tenant whose domain the request was sent to, if any. */
  async authenticate(jwt: string, hostTenant?: TenantRecord): Promise<DeviceSession> {
    return this.#check(await this.#verifySignature(jwt), hostTenant);
  }

  /**
   * `authenticate` without a promise when the token's signature was verified before, as for
   * nearly every request; undefined when it must be verified first (`authenticate`). A refusal is
   * thrown. A Bearer request's promises and their turns of the microtask queue were a tenth of
   * the request's own work (issue 19).
   */
  authenticateKnown(jwt: string, hostTenant?: TenantRecord): DeviceSession | undefined {
    const verified = this.#verified.get(verifiedKey(jwt));
    return verified?.jwt === jwt ? this.#check(verified, hostTenant) : undefined;
  }

  /**
   * A number that grows with every write of the state a token's checks read (the store's writes)
   * and every time the remembered signatures are forgotten (the signing key may have changed).
   */
  get stateVersion(): number {
    return this.#store.writes + this.#forgotten;
  }

  /**
   * Whether a session checked when the state was at `stateVersion` passes every check now as it
   * did then: the state unchanged, and now within the token's nbf and exp (its only checks of
   * time, tested as `#check` tests them).
   */
  holds(session: DeviceSession, stateVersion: number): boolean {
    const { nbf, exp } = session.claims;
    const now = toSeconds(this.#clock.now());
    return stateVersion === this.stateVersion && now < exp && now >= nbf;
  }

  /** Every check but the signature's: time, revocation, tenant and domain, device, anchor. */
  #check({ jwt, claims, hash }: Verified, hostTenant: TenantRecord | undefined): DeviceSession {
    const now = toSeconds(this.#clock.now());
    if (now >= claims.exp)
      throw refuse(
        `token of ${claims.sub} expired at ${new Date(claims.exp * 1000).toISOString()}`,
        'token-expired',
      );
    if (now < claims.nbf)
      throw refuse(
        `token of ${claims.sub} is not valid before ${new Date(claims.nbf * 1000).toISOString()}`,
        'token-not-yet-valid',
      );
    if (this.#store.getRevocation(hash))
      throw refuse(`token of ${claims.sub} (tenant ${claims.ten}) was logged out`, 'token-revoked');
    const tenant = this.#store.getTenant(claims.ten);
    if (!tenant) throw refuse(`token names tenant ${claims.ten}, which does not exist`, 'token-tenant');
    if (hostTenant && hostTenant.id !== tenant.id) {
      throw refuse(
        `token of tenant ${tenant.id} was sent to the domain of tenant ${hostTenant.id} (${hostTenant.domain})`,
        'token-tenant',
      );
    }
    const externalId = externalIdOf(claims.sub);
    const device = this.#store.getDevice(tenant.id, externalId);
    if (!device) throw refuse(`device ${externalId} of tenant ${tenant.id} no longer exists`, 'token-device');
    if (device.enabled === false) {
      throw new Unauthorized(UNAUTHORIZED.disabled, {
        reason: `the device user ${device.userName} of tenant ${tenant.id} is disabled`,
        rule: 'user-enabled',
      });
    }
    const anchor = device.anchorFingerprint
      ? this.#trust.index().byFingerprint(device.anchorFingerprint)
      : undefined;
    if (!anchor || anchor.tenantId !== tenant.id) {
      throw refuse(
        `the trusted certificate device ${externalId} authenticated with (${device.anchorFingerprint}) was deleted`,
        'token-anchor',
      );
    }
    if (!anchor.enabled) {
      throw refuse(
        `the trusted certificate '${anchor.name}' device ${externalId} authenticated with is DISABLED`,
        'token-anchor',
      );
    }
    return { kind: 'device', tenant, device, claims, jwt, hash };
  }

  /** Ends a token: from now on it is refused, also after a restart. */
  revoke(session: DeviceSession): void {
    // A revoked token is refused before its signature matters: remembering it only costs memory.
    this.#forget(session.jwt);
    this.#store.insertRevocation({
      hash: session.hash,
      tenantId: session.tenant.id,
      userName: session.claims.sub,
      revokedAt: this.#clock.now(),
      expiresAtSeconds: session.claims.exp,
    });
  }

  /** Ends a stored token without its bearer (a trainer revoking it in the dashboard): as its logout would. */
  revokeStored(token: TokenRecord): void {
    this.#forget(token.jwt);
    this.#store.insertRevocation({
      hash: token.hash,
      tenantId: token.tenantId,
      userName: token.userName,
      revokedAt: this.#clock.now(),
      expiresAtSeconds: token.expiresAtSeconds,
    });
  }

  /** How many verified tokens are remembered (live tokens, at most 20,000). */
  get remembered(): number {
    return this.#verified.size;
  }

  /** Forgets remembered signatures: the signing key may have changed. */
  forget(): void {
    this.#verified.clear();
    this.#forgotten++;
  }

  #forget(jwt: string): void {
    const key = verifiedKey(jwt);
    if (this.#verified.get(key)?.jwt === jwt) this.#verified.delete(key);
  }

  async #verifySignature(jwt: string): Promise<Verified> {
    const cached = this.#verified.get(verifiedKey(jwt));
    if (cached?.jwt === jwt) return cached;
    let payload: Record<string, unknown>;
    try {
      // Time is checked by the caller on every use, so verification here ignores it.
      ({ payload } = await jwtVerify(jwt, this.#keys.current.publicKey, {
        algorithms: ['RS256'],
        typ: 'JWT',
        clockTolerance: Number.MAX_SAFE_INTEGER,
      }));
    } catch (error) {
      const code = error instanceof errors.JOSEError ? error.code : 'ERR_INVALID';
      throw refuse(`bearer token rejected (${code}): ${(error as Error).message}`, 'token-signature');
    }
    if (
      payload.tci !== DEVICE_TOKEN_CONFIG ||
      typeof payload.sub !== 'string' ||
      typeof payload.ten !== 'string' ||
      typeof payload.exp !== 'number' ||
      typeof payload.nbf !== 'number'
    ) {
      throw refuse('bearer token is signed by this mock but is not a device token', 'token-claims');
    }
    const entry = { jwt, claims: payload as unknown as DeviceTokenClaims, hash: tokenHash(jwt) };
    this.#verified.set(verifiedKey(jwt), entry);
    return entry;
  }
}
