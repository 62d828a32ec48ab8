import { type Clock, type Span, within } from '../clock.js';
import type { Decision, DecisionDraft, DecisionLog, Door } from '../decisions/decision-log.js';
import { BadRequest, C8yError, UNAUTHORIZED, Unauthorized } from '../errors.js';
import type { Certificate } from '../pki/certificate.js';
import { datesPass, type PresentedChain } from '../pki/chain-verifier.js';
import type { Anchor } from '../pki/trust-index.js';
import type { DeviceRecord, Devices } from '../tenants/devices.js';
import { DEVICE_ACCESS_TOKEN_FEATURE, type FeatureToggles } from '../tenants/feature-toggles.js';
import type { TenantOptions } from '../tenants/tenant-options.js';
import type { TenantRecord, Tenants } from '../tenants/tenants.js';
import type { IssuedToken, TokenIssuer } from '../tokens/token-issuer.js';
import { reuseSpan } from '../tokens/token-state.js';
import { UnreadableChain } from './certificate-reader.js';
import type { ChainCheck } from './chain-check.js';
import { describeChain } from './decision-record.js';

/** A device knocking at a door with its certificates. */
export interface LoginAttempt {
  door: Door;
  /** DER, leaf first, as the TLS handshake carried them; empty when the client sent none. */
  handshake: readonly Buffer[];
  /** The chain sent along with the request (REST: the X-Ssl-Cert-Chain value); none on MQTT. */
  forwardedChain?: string | undefined;
  /**
   * Whether the issuers the handshake carried count. The platform's TLS front door hands on the
   * device certificate alone, so the REST door takes only the leaf from the handshake (issuers
   * come from X-Ssl-Cert-Chain or are trusted directly) unless `--accept-handshake-chain`; the
   * MQTT door has no header and takes them. Default: the leaf only.
   */
  handshakeIssuers?: boolean | undefined;
  /** The HTTPS listener a REST request came through: the mTLS door or the API door (no client certificates). */
  listener?: 'mtls' | 'api' | undefined;
  remoteAddress?: string | undefined;
  /**
   * The device identifier the device claims besides its certificate (MQTT: the
   * client ID's); it must equal the leaf's CN, checked before any registration.
   */
  claimedId?: string | undefined;
}

/** A device whose chain passed: who it is, in which tenant, under which anchor. */
export interface LoginSession {
  door: Door;
  tenant: TenantRecord;
  device: DeviceRecord;
  /** The device was registered by this login (its anchor has auto-registration on). */
  registered: boolean;
  leaf: Certificate;
  anchor: Anchor;
}

/** A login refused: the error a door renders (REST: the body; MQTT: CONNACK 5), and the rule that decided. */
export interface LoginRefusal {
  ok: false;
  error: C8yError;
  rule: string | undefined;
}

/** The chain alone passed or failed: what a door that checks in its TLS handshake needs. */
export type ChainAuthentication =
  | { ok: true; leaf: Certificate; anchor: Anchor; decision: DecisionDraft }
  | (LoginRefusal & { decision: DecisionDraft });

export type Authentication =
  | {
      ok: true;
      session: LoginSession;
      decision: DecisionDraft;
      /** Settles once the device's registration is committed; undefined when it is stored already. */
      stored: Promise<void> | undefined;
      /** When the chain's dates pass: the same state gives the same verdict at any instant of it. */
      datesPass: Span;
    }
  | (LoginRefusal & { decision: DecisionDraft });

export type LoginVerdict =
  | {
      ok: true;
      outcome: 'issued' | 'reused';
      session: LoginSession;
      token: IssuedToken;
      decision: Decision;
    }
  | (LoginRefusal & { decision: Decision });

export interface DeviceLoginDeps {
  chains: ChainCheck;
  devices: Devices;
  tenants: Tenants;
  options: TenantOptions;
  features: FeatureToggles;
  issuer: TokenIssuer;
  decisions: DecisionLog;
  /** SHA-1 fingerprints of TLS-terminating proxies: their forwarded chain names the device, leaf included. */
  trustedProxies: ReadonlySet<string>;
  clock: Clock;
  /**
   * A number that changes with every write of the state a login reads (the store's count of
   * writes): a login remembered for a connection holds only while it is unchanged.
   */
  stateVersion: () => number;
}

/**
 * A connection's last login that handed back its device's token, and what it read: the state at
 * `stateVersion` (anchors, lists, options, devices, tokens), the attempt, and the instants at which
 * the chain's dates and the token's reuse pass.
 */
interface Remembered {
  attempt: LoginAttempt;
  stateVersion: number;
  span: Span;
  session: LoginSession;
  token: IssuedToken;
  decision: DecisionDraft;
}

/**
 * The device login, the same for every door: read the presented
 * certificates, check the chain, resolve tenant and device (registering it
 * when its anchor allows), issue or reuse the token, record the decision.
 * A door that authenticates at connect and hands out the token later (MQTT,
 * `s/uat`) calls `authenticate` and `issueToken`; the REST token endpoint
 * calls `login`, which does both and records one decision.
 */
export class DeviceLogin {
  readonly #deps: DeviceLoginDeps;
  /** By the connection's handshake certificates (read once per connection, see peerChain). */
  readonly #remembered = new WeakMap<readonly Buffer[], Remembered>();

  constructor(deps: DeviceLoginDeps) {
    this.#deps = deps;
  }

  /**
   * Checks the certificates' chain only: no device is resolved or registered,
   * nothing is recorded. The MQTT door runs it when the TLS handshake ends.
   */
  checkChain(attempt: LoginAttempt): ChainAuthentication {
    const decision = draft(attempt, 401);
    try {
      const { leaf, anchor } = this.#chain(attempt, decision);
      return { ok: true, leaf, anchor, decision };
    } catch (error) {
      if (!(error instanceof C8yError)) throw error;
      return { ...refusal(error), decision: refused(decision, error) };
    }
  }

  /**
   * Checks the certificates and resolves the device; nothing is recorded (the door decides when).
   * A door lets the device in once `stored`, if any, settles.
   */
  authenticate(attempt: LoginAttempt): Authentication {
    return this.#authenticate(attempt);
  }

  /** `presented`: the certificates read already (by `login`, to check signatures ahead). */
  #authenticate(attempt: LoginAttempt, presented?: PresentedChain): Authentication {
    const decision = draft(attempt, 401);
    try {
      const verdict = this.#chain(attempt, decision, presented);
      // The REST token endpoint's feature: refused before the device is registered.
      if (attempt.door === 'rest') {
        const tenantId = verdict.anchor.tenantId;
        if (!this.#deps.features.isActive(tenantId, DEVICE_ACCESS_TOKEN_FEATURE)) {
          // The OpenAPI's deviceAccessTokenNotFound: the error type is "Not Found" alone.
          throw new C8yError(
            404,
            'Not Found',
            'This feature is disabled, please contact system administrator.',
            {
              rule: 'feature-enabled',
              reason: `the feature ${DEVICE_ACCESS_TOKEN_FEATURE} is switched off for tenant ${tenantId} (PUT /features/${DEVICE_ACCESS_TOKEN_FEATURE}/by-tenant with "active": true switches it on)`,
            },
          );
        }
      }
      const cn = verdict.leaf.commonNames[0];
      if (attempt.claimedId !== undefined && attempt.claimedId !== cn) {
        throw new Unauthorized(UNAUTHORIZED.chain, {
          rule: 'client-id',
          reason: `the client ID names device ${JSON.stringify(attempt.claimedId)}, but the certificate's CN is ${JSON.stringify(cn ?? '')}`,
        });
      }
      const { device, registered, stored } = this.#deps.devices.resolve(verdict.leaf, verdict.anchor);
      decision.externalId = device.externalId;
      if (device.enabled === false) {
        throw new Unauthorized(UNAUTHORIZED.disabled, {
          rule: 'user-enabled',
          reason: `the device user ${device.userName} of tenant ${device.tenantId} is disabled (PUT /user/${device.tenantId}/users/${device.userName} with "enabled": true enables it)`,
        });
      }
      const tenant = this.#deps.tenants.get(device.tenantId)!;
      const session = {
        door: attempt.door,
        tenant,
        device,
        registered,
        leaf: verdict.leaf,
        anchor: verdict.anchor,
      };
      return { ok: true, session, decision, stored, datesPass: verdict.datesPass };
    } catch (error) {
      if (!(error instanceof C8yError)) throw error;
      return { ...refusal(error), decision: refused(decision, error) };
    }
  }

  /** The device's token: its current one before half its lifetime, else a new one. */
  issueToken(session: LoginSession): Promise<IssuedToken> {
    return this.#issueToken(session, false);
  }

  /** `newDevice`: registered by this very login, so it has no current token (see TokenIssuer). */
  #issueToken(session: LoginSession, newDevice: boolean): Promise<IssuedToken> {
    const { tenant, device } = session;
    return this.#deps.issuer.issue(
      { tenantId: tenant.id, domain: tenant.domain, userName: device.userName },
      this.#deps.options.lifespanSeconds(tenant.id),
      newDevice,
    );
  }

  /**
   * Hears each device whose user was disabled: a door with open connections ends the device's
   * (MQTT); a REST request finds it refused at its next token or token use. Returns the unsubscribe function.
   */
  onDeviceDisabled(listener: (device: DeviceRecord) => void): () => void {
    return this.#deps.devices.onDisabled(listener);
  }

  /** Authenticates and issues the token; the decision is recorded whatever happens. */
  async login(attempt: LoginAttempt): Promise<LoginVerdict> {
    const again = this.#again(attempt);
    if (again) return again;
    const { decisions } = this.#deps;
    // Read before anything else: a write while this login awaits makes what it found stale.
    const version = this.#deps.stateVersion();
    let decision = draft(attempt, 500);
    try {
      const presented = this.#readable(attempt);
      const ahead = presented && this.#deps.chains.prepare(presented);
      if (ahead) await ahead;
      const authentication = this.#authenticate(attempt, presented);
      decision = authentication.decision;
      if (!authentication.ok) return { ...authentication, decision: decisions.record(decision) };
      // No token for a device that is not stored.
      if (authentication.stored) await authentication.stored;
      const { session } = authentication;
      const token = await this.#issueToken(session, session.registered);
      const outcome = token.reused ? 'reused' : 'issued';
      const { record } = token;
      const recorded = decisions.record({
        ...decision,
        outcome,
        status: 200,
        token: { hash: record.hash, issuedAt: record.issuedAtSeconds, expiresAt: record.expiresAtSeconds },
      });
      if (token.reused && !authentication.stored && attempt.handshake.length > 0) {
        const { id: _, time: __, ...again } = recorded;
        const reuse = reuseSpan(record);
        const dates = authentication.datesPass;
        this.#remembered.set(attempt.handshake, {
          attempt,
          stateVersion: version,
          span: { from: Math.max(dates.from, reuse.from), until: Math.min(dates.until, reuse.until) },
          session,
          token,
          decision: again,
        });
      }
      return { ok: true, outcome, session, token, decision: recorded };
    } catch (error) {
      if (error instanceof C8yError)
        return { ...refusal(error), decision: decisions.record(refused(decision, error)) };
      // Not a refusal but a fault (the store, the signer): on the record, then to the door's error handler.
      decisions.record({ ...decision, status: 500, reason: `internal error: ${(error as Error).message}` });
      throw error;
    }
  }

  /**
   * The connection's last login again, when it handed back the token and nothing it read has
   * changed: the same state (any write of any row forgets it: a logout, a disabled device or
   * anchor, a CRL entry, an option, a reset), the same attempt, and now within the instants at
   * which its chain's dates and its token's reuse pass. The decision is recorded as every login's
   * is. A reused token's login was half of the request's time on the main thread, and gave the
   * same answer word for word (issue 19).
   */
  #again(attempt: LoginAttempt): LoginVerdict | undefined {
    const remembered = this.#remembered.get(attempt.handshake);
    if (remembered === undefined) return undefined;
    if (
      remembered.stateVersion !== this.#deps.stateVersion() ||
      !within(remembered.span, this.#deps.clock.now()) ||
      !sameAttempt(remembered.attempt, attempt) ||
      // Another login of the device is signing its next token (stored, and so counted, only once signed).
      this.#deps.issuer.signing(remembered.session.tenant.id, remembered.session.device.userName)
    ) {
      this.#remembered.delete(attempt.handshake);
      return undefined;
    }
    const { session, token } = remembered;
    const decision = this.#deps.decisions.record(remembered.decision);
    return { ok: true, outcome: 'reused', session, token, decision };
  }

  /** The chain's verdict, described in the decision; a failed rule is the platform's 401. */
  #chain(
    attempt: LoginAttempt,
    decision: DecisionDraft,
    whole = this.#read(attempt),
  ): { leaf: Certificate; anchor: Anchor; datesPass: Span } {
    // Node appends issuers from the server's CA list (trusted certificates) to the handshake's
    // chain: those are trusted directly, as on the platform; only what the device sent is left out.
    const presented =
      attempt.handshakeIssuers === true
        ? whole
        : {
            ...whole,
            tls: whole.tls.filter((certificate, i) => i === 0 || this.#deps.chains.isTrusted(certificate)),
          };
    const verdict = this.#deps.chains.verify(presented);
    describeChain(decision, verdict, presented);
    if (!verdict.ok || !verdict.leaf || !verdict.anchor) {
      const handshakeOnly = verdict.rule === 'trusted-anchor' && this.#anchoredByHandshake(whole, presented);
      if (handshakeOnly) {
        const reason = handshakeChainReason(whole.tls[0]!);
        decision.chainChecks = [
          ...(decision.chainChecks ?? []),
          { rule: 'handshake-chain', ok: false, message: reason },
        ];
        throw new Unauthorized(UNAUTHORIZED.chain, { rule: 'handshake-chain', reason });
      }
      const reason =
        verdict.rule === 'certificate-present' && attempt.listener === 'api'
          ? `${verdict.reason}; this is the API door, which asks for no client certificate (the platform's port 443): request the token on the mTLS door (the platform's 8443)`
          : verdict.reason;
      throw new Unauthorized(UNAUTHORIZED.chain, { rule: verdict.rule, reason });
    }
    return { leaf: verdict.leaf, anchor: verdict.anchor, datesPass: datesPass(verdict.steps) };
  }

  /** Whether the issuers left out of the handshake would have reached a trusted certificate. */
  #anchoredByHandshake(whole: PresentedChain, presented: PresentedChain): boolean {
    if (whole.tls.length === presented.tls.length) return false;
    return this.#deps.chains.verify(whole).anchor !== undefined;
  }

  /** The presented certificates, or undefined when #read throws (#authenticate reads again and says why). */
  #readable(attempt: LoginAttempt): PresentedChain | undefined {
    try {
      return this.#read(attempt);
    } catch {
      return undefined;
    }
  }

  /** The certificates from the handshake and the forwarded chain; an unreadable one is a 400. */
  #read(attempt: LoginAttempt): PresentedChain {
    const { reader } = this.#deps.chains;
    try {
      const tls = reader.handshake(attempt.handshake);
      const forwarded = tls[0] !== undefined && this.#deps.trustedProxies.has(tls[0].fingerprint);
      // Without a proxy the forwarded chain may start with the TLS leaf or with its issuer.
      const header =
        attempt.forwardedChain === undefined
          ? []
          : reader.chain(
              reader.header(attempt.forwardedChain),
              (first) => forwarded || first.fingerprint === tls[0]?.fingerprint,
            );
      return { tls, header, forwarded };
    } catch (error) {
      if (error instanceof UnreadableChain) {
        throw new BadRequest('Device Certificates', `Cannot parse X509 certificate. : ${error.message}`, {
          rule: 'parse',
          reason: `X-Ssl-Cert-Chain: ${error.message}`,
        });
      }
      throw error;
    }
  }
}

/** Why a chain that only the handshake carried is refused, and how to send it instead. */
const handshakeChainReason = (leaf: Certificate): string =>
  `the issuers of ${leaf.label} were sent only in the TLS handshake, and the platform takes only the device certificate from the handshake: send the issuers up to a trusted certificate in the X-Ssl-Cert-Chain header (PEM bodies, or the whole chain, leaf first), or upload the device certificate's immediate issuer as a trusted certificate (serve --accept-handshake-chain takes the handshake's issuers, as a proxy forwarding the whole chain would need)`;

/** A decision that stays a refusal with `status` unless the login gets further. */
const draft = ({ door, listener, remoteAddress }: LoginAttempt, status: number): DecisionDraft => ({
  door,
  ...(listener ? { listener } : {}),
  outcome: 'refused',
  status,
  remoteAddress,
});

/** Everything of two attempts on one connection but the handshake, which is theirs alike. */
const sameAttempt = (a: LoginAttempt, b: LoginAttempt): boolean =>
  a.door === b.door &&
  a.listener === b.listener &&
  a.forwardedChain === b.forwardedChain &&
  a.handshakeIssuers === b.handshakeIssuers &&
  a.remoteAddress === b.remoteAddress &&
  a.claimedId === b.claimedId;

const refusal = (error: C8yError): LoginRefusal => ({ ok: false, error, rule: error.rule });

const refused = (draft: DecisionDraft, error: C8yError): DecisionDraft => ({
  ...draft,
  outcome: 'refused',
  status: error.status,
  rule: error.rule,
  reason: error.reason ?? error.message,
});
