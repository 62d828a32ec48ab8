import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminSecret } from '../auth/admin-secret.js';
import { BadRequest, Forbidden, UNAUTHORIZED, Unauthorized } from '../errors.js';
import { cookieValue } from '../http/cookies.js';
import { MEDIA } from '../http/media-types.js';
import type { StateControl } from '../state/state-control.js';
import { splitLogin, type Tenants } from '../tenants/tenants.js';
import { SESSION_IDLE_MS, type UiSession, UiSessions, type Viewer } from './sessions.js';
import { describeViewer, visibleTenants } from './viewer.js';

export const SESSION_COOKIE = 'c8y_mock_ui';
/** The cookie goes only to the dashboard's own paths. */
const COOKIE_PATH = '/_mock/ui';
export const CSRF_HEADER = 'x-csrf-token';
const RESOURCE = 'dashboard';

declare module 'fastify' {
  interface FastifyRequest {
    uiSession?: UiSession;
  }
}

export const sessionCookieValue = (request: FastifyRequest): string | undefined =>
  cookieValue(request, SESSION_COOKIE);

const cookie = (value: string, maxAgeSeconds: number) =>
  `${SESSION_COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;

/**
 * preHandler of every dashboard API route: a live session from the cookie, of
 * a user who still exists (a reset or an imported state may have removed them),
 * and on anything but GET/HEAD its CSRF token in X-CSRF-Token (the cookie is
 * SameSite=Strict as well; the header is what a forged form cannot send).
 */
export function requireSession(sessions: UiSessions, tenants: Tenants) {
  return async (request: FastifyRequest): Promise<void> => {
    const id = sessionCookieValue(request);
    const session = sessions.get(id);
    if (!session) {
      throw new Unauthorized(UNAUTHORIZED.missing, { reason: 'no dashboard session (sign in first)' });
    }
    const { viewer } = session;
    if (viewer.kind === 'tenant' && !tenants.hasUser(viewer.tenantId, viewer.userName)) {
      sessions.end(id);
      throw new Unauthorized(UNAUTHORIZED.missing, {
        reason: `dashboard user ${describeViewer(viewer)} no longer exists; session ended`,
      });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const given = request.headers[CSRF_HEADER];
      if (!UiSessions.csrfMatches(session, typeof given === 'string' ? given : undefined)) {
        throw new Forbidden(`Access is denied: send the session's CSRF token in the X-CSRF-Token header.`, {
          reason: `${given ? 'wrong' : 'no'} X-CSRF-Token from ${describeViewer(session.viewer)}`,
        });
      }
    }
    request.uiSession = session;
  };
}

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new BadRequest(RESOURCE, `${name} must be a string.`);
  return value;
}

export interface UiAuthOptions {
  tenants: Tenants;
  state: StateControl;
  adminSecret: AdminSecret;
  sessions: UiSessions;
}

/** What the page needs to know about its session: who, which tenants, and the CSRF token. */
function sessionBody({ tenants, state }: UiAuthOptions, session: UiSession) {
  const { viewer } = session;
  return {
    viewer: viewer.kind === 'admin' ? { kind: 'admin' } : viewer,
    name: describeViewer(viewer),
    tenants: visibleTenants(tenants, viewer).map((tenant) => tenant.id),
    csrfToken: session.csrfToken,
    canReset: viewer.kind === 'admin' && state.seedSource !== undefined,
  };
}

/**
 * Sign-in for the dashboard: a tenant administrator's credentials
 * (`<tenantId>/<user>` and password, as HTTP Basic on the platform) or the
 * mock's admin secret. Success sets an HttpOnly, Secure, SameSite=Strict cookie.
 */
export async function uiAuthRoutes(app: FastifyInstance, options: UiAuthOptions) {
  const { tenants, adminSecret, sessions } = options;
  const routeConfig = { config: { resource: RESOURCE } };

  async function signIn(body: Record<string, unknown>, request: FastifyRequest): Promise<Viewer> {
    const given = field(body, 'secret');
    if (given !== undefined) {
      if (!adminSecret.matches(given)) {
        throw new Unauthorized(UNAUTHORIZED.credentials, {
          reason: 'dashboard sign-in with a wrong admin secret',
        });
      }
      return { kind: 'admin' };
    }
    const login = field(body, 'user');
    const password = field(body, 'password');
    if (!login || password === undefined) {
      throw new BadRequest(
        RESOURCE,
        'Sign in with "user" (<tenantId>/<user>) and "password", or with the mock\'s admin "secret".',
      );
    }
    const { tenantId = tenants.byHost(request.host)?.id, userName } = splitLogin(login);
    if (!tenantId) {
      throw new Unauthorized(UNAUTHORIZED.credentials, {
        reason: `dashboard sign-in of '${userName}' without a tenant; use <tenantId>/<user>`,
      });
    }
    const { tenant } = await tenants.authenticateUser(tenantId, userName, password);
    return { kind: 'tenant', tenantId: tenant.id, userName };
  }

  app.post('/_mock/ui/api/login', routeConfig, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequest(
        RESOURCE,
        'Send a JSON object: {"user": "t100/admin", "password": "..."} or {"secret": "..."}.',
      );
    }
    const viewer = await signIn(body as Record<string, unknown>, request);
    sessions.end(sessionCookieValue(request));
    const { id, session } = sessions.create(viewer);
    request.log.info(`dashboard sign-in: ${describeViewer(viewer)}`);
    return reply
      .header('set-cookie', cookie(id, SESSION_IDLE_MS / 1000))
      .header('cache-control', 'no-store')
      .type(MEDIA.json)
      .send(sessionBody(options, session));
  });

  const withSession = { ...routeConfig, preHandler: requireSession(sessions, tenants) };

  app.get('/_mock/ui/api/session', withSession, async (request, reply) =>
    reply.header('cache-control', 'no-store').type(MEDIA.json).send(sessionBody(options, request.uiSession!)),
  );

  app.post('/_mock/ui/api/logout', withSession, async (request, reply) => {
    sessions.end(sessionCookieValue(request));
    request.log.info(`dashboard sign-out: ${describeViewer(request.uiSession!.viewer)}`);
    return reply.header('set-cookie', cookie('', 0)).status(204).send();
  });
}
