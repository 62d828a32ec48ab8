import { KeyObject, sign, type webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { type Clock, toSeconds, within } from '../clock.js';
import type { GroupCommit } from '../group-commit.js';
import type { Store, TokenRecord } from '../store/store.js';
import type { SigningKeys } from './signing-key.js';
import { tokenHash, xsrfToken } from './token-hash.js';
import { reuseSpan } from './token-state.js';

/** `tci` of device tokens (user tokens carry a UUID there). */
export const DEVICE_TOKEN_CONFIG = 'device_token_config';

export interface TokenSubject {
  tenantId: string;
  domain: string;
  userName: string;
}

export interface IssuedToken {
  record: TokenRecord;
  /** The device asked again before half the lifetime had passed and got its token back. */
  reused: boolean;
}

/** The claims of a real device token, in the platform's order. */
export interface DeviceTokenClaims {
  jti: null;
  iss: string;
  aud: string;
  sub: string;
  tci: string;
  iat: number;
  nbf: number;
  exp: number;
  tfa: boolean;
  ten: string;
  xsrfToken: string;
}

/**
 * Issues device tokens. A device asking again before half of its token's
 * lifetime has passed gets the same token back (unless it was logged out);
 * concurrent requests of one device share one signature.
 */
export class TokenIssuer {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #keys: SigningKeys;
  readonly #inFlight = new Map<string, Promise<IssuedToken>>();
  readonly #commit: GroupCommit;

  /** `commit`: stores the tokens of concurrent logins in one transaction. */
  constructor(store: Store, clock: Clock, keys: SigningKeys, commit: GroupCommit) {
    this.#store = store;
    this.#clock = clock;
    this.#keys = keys;
    this.#commit = commit;
  }

  /**
   * `newDevice`: the device was registered by the login asking, so it has no token of its own to
   * get back and the store is not asked for one (a concurrent request of it still shares this one).
   */
  issue(subject: TokenSubject, lifetimeSeconds: number, newDevice = false): Promise<IssuedToken> {
    const key = deviceKey(subject.tenantId, subject.userName);
    const pending = this.#inFlight.get(key);
    if (pending) return pending.then((issued) => ({ ...issued, reused: true }));
    const latest = newDevice ? undefined : this.#store.latestToken(subject.tenantId, subject.userName);
    if (latest && this.#reusable(latest)) return Promise.resolve({ record: latest, reused: true });
    const signing = this.#sign(subject, lifetimeSeconds).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, signing);
    return signing;
  }

  /** Whether a new token for the device is being signed: until it is stored, it is what the device gets. */
  signing(tenantId: string, userName: string): boolean {
    return this.#inFlight.has(deviceKey(tenantId, userName));
  }

  #reusable(token: TokenRecord): boolean {
    return within(reuseSpan(token), this.#clock.now()) && !this.#store.getRevocation(token.hash);
  }

  async #sign(subject: TokenSubject, lifetimeSeconds: number): Promise<IssuedToken> {
    const iat = toSeconds(this.#clock.now());
    const claims: DeviceTokenClaims = {
      jti: null,
      iss: subject.domain,
      aud: subject.domain,
      sub: subject.userName,
      tci: DEVICE_TOKEN_CONFIG,
      iat,
      nbf: iat,
      exp: iat + lifetimeSeconds,
      tfa: false,
      ten: subject.tenantId,
      xsrfToken: xsrfToken(),
    };
    const jwt = await signRs256(claims, this.#keys.current.privateKey);
    const record: TokenRecord = {
      hash: tokenHash(jwt),
      tenantId: subject.tenantId,
      userName: subject.userName,
      jwt,
      issuedAtSeconds: iat,
      expiresAtSeconds: claims.exp,
    };
    // Stored before it is handed out: a token the device holds is known after a restart.
    await this.#commit.run(() => this.#store.insertToken(record));
    return { record, reused: false };
  }
}

const deviceKey = (tenantId: string, userName: string) => `${tenantId}\0${userName}`;

/** The protected header of every device token, encoded once. */
const RS256_HEADER = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
const signOffThread = promisify(sign);

/**
 * The compact JWS of `claims`, RS256 (RSASSA-PKCS1-v1_5 with SHA-256), signed by node:crypto on
 * libuv's pool. The same bytes jose's SignJWT makes (the signature scheme is deterministic; a test
 * compares them), without its per-token copies and checks of the claims, which cost the main thread
 * more than the signature's dispatch (issue 19).
 */
export async function signRs256(claims: DeviceTokenClaims, privateKey: webcrypto.CryptoKey): Promise<string> {
  let key = keyObjects.get(privateKey);
  if (!key) {
    key = KeyObject.from(privateKey);
    keyObjects.set(privateKey, key);
  }
  const input = `${RS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = await signOffThread('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}
