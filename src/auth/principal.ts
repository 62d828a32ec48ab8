import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { Forbidden, NotFound, UNAUTHORIZED, Unauthorized } from '../errors.js';
import { cookieValue } from '../http/cookies.js';
import { splitLogin, type TenantRecord, type Tenants } from '../tenants/tenants.js';
import type { DeviceSession, TokenAuthenticator } from '../tokens/token-authenticator.js';

/** A tenant administrator signed in with HTTP Basic. */
export interface UserSession {
  kind: 'user';
  tenant: TenantRecord;
  userName: string;
}

export type Principal = DeviceSession | UserSession;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

interface KeptSession {
  header: string;
  host: string;
  stateVersion: number;
  session: DeviceSession;
}

/** The credentials of a request: the Authorization header, or the platform's `authorization` cookie. */
function credentials(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) return header;
  const cookie = cookieValue(request, 'authorization');
  return cookie ? `Bearer ${cookie}` : undefined;
}

/** Path parameters name a tenant: an administrator may act only on their own. */
export function assertOwnTenant(principal: Principal | undefined, tenantId: string): void {
  if (!principal || principal.tenant.id !== tenantId) {
    throw new Forbidden('Access is denied.', {
      reason: `${principal?.kind === 'user' ? principal.userName : 'caller'} of tenant ${principal?.tenant.id} acted on tenant ${tenantId}`,
    });
  }
}

/**
 * Who sent a request, as the platform authenticates it: `Bearer <device
 * token>`, or Basic with `<tenantId>/<user>:<password>` or `<user>:<password>`
 * on the tenant's domain. The preHandlers put the principal on the request.
 */
export class RequestAuth {
  readonly #tenants: Tenants;
  readonly #authenticator: TokenAuthenticator;
  /**
   * By connection (its socket): the device session its last `Authorization: Bearer` header was,
   * for the host it named, and the state it was checked in. The connection's next request with
   * the same header and host is that session while `TokenAuthenticator.holds` it: no write to the
   * state since, no signature forgotten, and now within the token's nbf and exp. A connection may
   * carry several clients' requests (a proxy's pool): every input of the checks but the state is
   * the header and the host, compared whole. Parsing the header and the token's checks were most
   * of a Bearer request's own work (issue 19).
   */
  readonly #sessions = new WeakMap<object, KeptSession>();

  constructor({ tenants, authenticator }: { tenants: Tenants; authenticator: TokenAuthenticator }) {
    this.#tenants = tenants;
    this.#authenticator = authenticator;
  }

  /**
   * preHandler (or onRequest): any authenticated principal. A callback hook that calls `done` at
   * once when no await is needed (a device token verified before): no promise, no turn of the
   * microtask queue on nearly every Bearer request (issue 19).
   */
  readonly principal = (
    request: FastifyRequest,
    _reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void => {
    // An empty header is no header: the cookie speaks instead (see credentials), and is not kept.
    const header = request.headers.authorization || undefined;
    const connection = request.raw.socket;
    const kept = header === undefined ? undefined : this.#sessions.get(connection);
    if (
      kept !== undefined &&
      kept.header === header &&
      kept.host === request.host &&
      this.#authenticator.holds(kept.session, kept.stateVersion)
    ) {
      request.principal = kept.session;
      done();
      return;
    }
    // Read before the checks: a write while they wait makes what they found stale.
    const stateVersion = this.#authenticator.stateVersion;
    const found = (principal: Principal) => {
      request.principal = principal;
      if (header !== undefined && principal.kind === 'device') {
        this.#sessions.set(connection, { header, host: request.host, stateVersion, session: principal });
      }
      done();
    };
    let principal: Principal | Promise<Principal>;
    try {
      principal = this.#resolve(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (principal instanceof Promise) principal.then(found, done);
    else found(principal);
  };

  /** preHandler: a tenant administrator; a device token gets 403 as on the platform. */
  readonly administrator: PreHandler = async (request) => {
    const principal = await this.authenticate(request);
    if (principal.kind !== 'user') {
      throw new Forbidden('Access is denied.', {
        reason: `device ${principal.claims.sub} used an administration API`,
      });
    }
    request.principal = principal;
  };

  /**
   * A path names a tenant: it must exist (404, the platform's `tenantNotFound`)
   * and be the caller's own (403).
   */
  assertTenantAccess(principal: Principal | undefined, tenantId: string): TenantRecord {
    const tenant = this.#tenants.get(tenantId);
    if (!tenant) throw new NotFound('security', `There is no tenant with id = ${tenantId}`);
    assertOwnTenant(principal, tenantId);
    return tenant;
  }

  async authenticate(request: FastifyRequest): Promise<Principal> {
    return this.#resolve(request);
  }

  /** The principal, or a promise of it where a check must wait (a new token's signature, a password). */
  #resolve(request: FastifyRequest): Principal | Promise<Principal> {
    const value = credentials(request);
    if (!value) throw new Unauthorized(UNAUTHORIZED.missing, { reason: 'no Authorization header' });
    const hostTenant = this.#tenants.byHost(request.host);
    const [scheme, ...rest] = value.trim().split(/\s+/);
    const param = rest.join(' ');
    if (/^bearer$/i.test(scheme ?? '')) {
      // The docs write `Authorization: Bearer "JWT Session token"`; accept the quotes.
      const token = param.replace(/^"(.*)"$/, '$1');
      if (token === '') throw new Unauthorized(UNAUTHORIZED.missing, { reason: 'empty bearer token' });
      return (
        this.#authenticator.authenticateKnown(token, hostTenant) ??
        this.#authenticator.authenticate(token, hostTenant)
      );
    }
    if (/^basic$/i.test(scheme ?? '')) return this.#basic(request, param, hostTenant);
    throw new Unauthorized(UNAUTHORIZED.credentials, {
      reason: `unsupported authorization scheme '${scheme}'`,
    });
  }

  /** Basic `<tenantId>/<user>:<password>`, or `<user>:<password>` on the tenant's domain. */
  async #basic(
    request: FastifyRequest,
    param: string,
    hostTenant: TenantRecord | undefined,
  ): Promise<Principal> {
    const decoded = Buffer.from(param, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new Unauthorized(UNAUTHORIZED.credentials, { reason: 'Basic credentials without a colon' });
    const password = decoded.slice(colon + 1);
    const { tenantId = hostTenant?.id, userName } = splitLogin(decoded.slice(0, colon));
    if (!tenantId) {
      throw new Unauthorized(UNAUTHORIZED.credentials, {
        reason: `user '${userName}' gave no tenant, and the host '${request.host}' is no tenant's domain; use <tenantId>/<user>`,
      });
    }
    const { tenant } = await this.#tenants.authenticateUser(tenantId, userName, password);
    return { kind: 'user', tenant, userName };
  }
}
