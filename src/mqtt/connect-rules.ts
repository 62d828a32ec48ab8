import type { DecisionDraft } from '../decisions/decision-log.js';
import { C8yError } from '../errors.js';
import type { DeviceLogin } from '../login/device-login.js';
import { splitLogin, type Tenants } from '../tenants/tenants.js';
import { parseClientId } from './client-id.js';
import type { SessionIdentity } from './sessions.js';

/** What of a CONNECT packet the rules read. */
export interface ConnectRequest {
  clientId: string;
  protocolVersion: number;
  clean: boolean;
  username?: string | undefined;
  password?: Buffer | undefined;
  /** DER, leaf first, from the TLS handshake; empty without a client certificate. */
  handshake: readonly Buffer[];
  remoteAddress?: string | undefined;
}

/** CONNACK return codes of MQTT 3.1.1, as the platform uses them. */
export const CONNACK = {
  accepted: 0,
  protocolVersion: 1,
  identifierRejected: 2,
  badCredentials: 4,
  notAuthorized: 5,
} as const;

export type ConnectVerdict =
  | { ok: true; identity: SessionIdentity; decision: DecisionDraft }
  | { ok: false; returnCode: number; decision: DecisionDraft };

/** Three base64url parts: what a JWT looks like. */
const JWT_FORM = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export interface ConnectRulesDeps {
  login: DeviceLogin;
  tenants: Tenants;
}

/**
 * The CONNECT rules of core MQTT (reference A2, A3): MQTT 3.1 or 3.1.1, a
 * client ID of Cumulocity's form, a clean session; then a certificate (the
 * device login: its chain, the CN equal to the client ID's device identifier,
 * registration) or, without one, `<tenant>/<user>` and a password. Each
 * verdict carries its decision and, when refused, the CONNACK code.
 */
export class ConnectRules {
  readonly #deps: ConnectRulesDeps;

  constructor(deps: ConnectRulesDeps) {
    this.#deps = deps;
  }

  async decide(request: ConnectRequest): Promise<ConnectVerdict> {
    const base: DecisionDraft = {
      door: 'mqtt',
      outcome: 'refused',
      status: 401,
      remoteAddress: request.remoteAddress,
      mqtt: { stage: 'connect', clientId: request.clientId },
    };
    const refuse = (returnCode: number, rule: string, reason: string, status = 401): ConnectVerdict => ({
      ok: false,
      returnCode,
      decision: { ...base, status, rule, reason, mqtt: { ...base.mqtt!, returnCode } },
    });

    if (request.protocolVersion !== 3 && request.protocolVersion !== 4) {
      return refuse(
        CONNACK.protocolVersion,
        'protocol-version',
        `MQTT protocol level ${request.protocolVersion}; only 3 (MQTT 3.1) and 4 (MQTT 3.1.1) are accepted`,
        400,
      );
    }
    const parsed = parseClientId(request.clientId);
    if (!parsed.ok) return refuse(CONNACK.identifierRejected, 'client-id', parsed.reason, 400);
    const { deviceId } = parsed.id;
    base.externalId = deviceId;
    if (!request.clean) {
      return refuse(
        CONNACK.notAuthorized,
        'clean-session',
        'the clean session flag is 0; the platform requires clean sessions (1)',
        400,
      );
    }
    return request.handshake.length > 0
      ? this.#certificate(request, deviceId, base, refuse)
      : this.#password(request, deviceId, base, refuse);
  }

  /** The device login with the handshake's chain; username and password, if any, are not read. */
  async #certificate(
    request: ConnectRequest,
    deviceId: string,
    base: DecisionDraft,
    refuse: (rc: number, rule: string, reason: string, status?: number) => ConnectVerdict,
  ): Promise<ConnectVerdict> {
    const authentication = this.#deps.login.authenticate({
      door: 'mqtt',
      handshake: request.handshake,
      handshakeIssuers: true,
      remoteAddress: request.remoteAddress,
      claimedId: deviceId,
    });
    const decision: DecisionDraft = { ...authentication.decision, mqtt: base.mqtt };
    if (!authentication.ok) {
      const { error } = authentication;
      const refused = refuse(
        CONNACK.notAuthorized,
        error.rule ?? 'login',
        error.reason ?? error.message,
        error.status,
      );
      return { ...refused, decision: { ...decision, ...pick(refused.decision) } };
    }
    const { session } = authentication;
    // CONNACK 0 only once a device registered by this CONNECT is committed.
    if (authentication.stored) await authentication.stored;
    return {
      ok: true,
      identity: {
        tenantId: session.tenant.id,
        externalId: session.device.externalId,
        clientId: request.clientId,
        auth: 'certificate',
        userName: session.device.userName,
        login: session,
      },
      decision: accepted(decision, 'certificate'),
    };
  }

  /** `<tenant>/<user>` and the user's password, as a device without a certificate connects. */
  async #password(
    request: ConnectRequest,
    deviceId: string,
    base: DecisionDraft,
    refuse: (rc: number, rule: string, reason: string, status?: number) => ConnectVerdict,
  ): Promise<ConnectVerdict> {
    const { username, password } = request;
    if (username === undefined || username === '') {
      return refuse(
        CONNACK.notAuthorized,
        'credentials',
        'no client certificate and no username: a device connects with a certificate or with <tenant>/<user> and a password',
      );
    }
    const secret = password?.toString('utf8') ?? '';
    // The docs: CONNACK 4 is "not sent for an empty password".
    if (secret === '') {
      return refuse(CONNACK.notAuthorized, 'credentials', `no password given for ${username}`);
    }
    const { tenantId, userName } = splitLogin(username);
    if (tenantId === undefined || tenantId === '') {
      return refuse(
        CONNACK.badCredentials,
        'credentials',
        `username ${JSON.stringify(username)} names no tenant; MQTT needs <tenantId>/<user>`,
      );
    }
    if (JWT_FORM.test(secret)) {
      return refuse(
        CONNACK.badCredentials,
        'jwt-password',
        'the password is a JWT; the platform accepts a certificate or a password over MQTT, not a token',
      );
    }
    try {
      const { tenant } = await this.#deps.tenants.authenticateUser(tenantId, userName, secret);
      return {
        ok: true,
        identity: {
          tenantId: tenant.id,
          externalId: deviceId,
          clientId: request.clientId,
          auth: 'password',
          userName,
        },
        decision: accepted({ ...base, tenantId: tenant.id }, 'password'),
      };
    } catch (error) {
      if (!(error instanceof C8yError)) throw error;
      return refuse(CONNACK.badCredentials, 'credentials', error.reason ?? error.message);
    }
  }
}

const pick = ({ status, rule, reason, mqtt }: DecisionDraft) => ({ status, rule, reason, mqtt });

const accepted = (decision: DecisionDraft, auth: 'certificate' | 'password'): DecisionDraft => ({
  ...decision,
  outcome: 'connected',
  status: 200,
  rule: undefined,
  reason: undefined,
  mqtt: { ...decision.mqtt!, auth, returnCode: CONNACK.accepted },
});
