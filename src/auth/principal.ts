import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, NotFound, UNAUTHORIZED, Unauthorized } from '../errors.js';
import type { Services } from '../services.js';
import type { TenantRecord } from '../store/store.js';
import type { DeviceSession } from '../tokens/token-authenticator.js';

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

/** The credentials of a request: the Authorization header, or the platform's `authorization` cookie. */
function credentials(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) return header;
  const cookie = request.headers.cookie?.match(/(?:^|;\s*)authorization=([^;]+)/)?.[1];
  if (!cookie) return undefined;
  try {
    return `Bearer ${decodeURIComponent(cookie)}`;
  } catch {
    return `Bearer ${cookie}`; // broken percent-encoding: no token of ours, refused as such
  }
}

/**
 * Authenticates like the platform: `Bearer <device token>`, or Basic with
 * `<tenantId>/<user>:<password>` or `<user>:<password>` on the tenant's domain.
 */
export async function authenticate(request: FastifyRequest, services: Services): Promise<Principal> {
  const value = credentials(request);
  if (!value) throw new Unauthorized(UNAUTHORIZED.missing, { reason: 'no Authorization header' });
  const hostTenant = services.tenants.byHost(request.host);
  const [scheme, ...rest] = value.trim().split(/\s+/);
  const param = rest.join(' ');
  if (/^bearer$/i.test(scheme ?? '')) {
    // The docs write `Authorization: Bearer "JWT Session token"`; accept the quotes.
    const token = param.replace(/^"(.*)"$/, '$1');
    if (token === '') throw new Unauthorized(UNAUTHORIZED.missing, { reason: 'empty bearer token' });
    return services.authenticator.authenticate(token, hostTenant);
  }
  if (/^basic$/i.test(scheme ?? '')) {
    const decoded = Buffer.from(param, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new Unauthorized(UNAUTHORIZED.credentials, { reason: 'Basic credentials without a colon' });
    const login = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const slash = login.indexOf('/');
    const tenantId = slash >= 0 ? login.slice(0, slash) : hostTenant?.id;
    const userName = slash >= 0 ? login.slice(slash + 1) : login;
    if (!tenantId) {
      throw new Unauthorized(UNAUTHORIZED.credentials, {
        reason: `user '${userName}' gave no tenant, and the host '${request.host}' is no tenant's domain; use <tenantId>/<user>`,
      });
    }
    const { tenant } = await services.tenants.authenticateUser(tenantId, userName, password);
    return { kind: 'user', tenant, userName };
  }
  throw new Unauthorized(UNAUTHORIZED.credentials, {
    reason: `unsupported authorization scheme '${scheme}'`,
  });
}

/** preHandler: any authenticated principal. */
export function requirePrincipal(services: Services) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    request.principal = await authenticate(request, services);
  };
}

/** preHandler: a tenant administrator; a device token gets 403 as on the platform. */
export function requireAdministrator(services: Services) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const principal = await authenticate(request, services);
    if (principal.kind !== 'user') {
      throw new Forbidden('Access is denied', {
        reason: `device ${principal.claims.sub} used an administration API`,
      });
    }
    request.principal = principal;
  };
}

/** Path parameters name a tenant: an administrator may act only on their own. */
export function assertOwnTenant(principal: Principal | undefined, tenantId: string): void {
  if (!principal || principal.tenant.id !== tenantId) {
    throw new Forbidden('Access is denied', {
      reason: `${principal?.kind === 'user' ? principal.userName : 'caller'} of tenant ${principal?.tenant.id} acted on tenant ${tenantId}`,
    });
  }
}

/**
 * A path names a tenant: it must exist (404, the platform's `tenantNotFound`)
 * and be the caller's own (403).
 */
export function assertTenantAccess(
  services: Services,
  principal: Principal | undefined,
  tenantId: string,
): void {
  if (!services.tenants.get(tenantId)) {
    throw new NotFound('security', `There is no tenant with id = ${tenantId}`);
  }
  assertOwnTenant(principal, tenantId);
}
