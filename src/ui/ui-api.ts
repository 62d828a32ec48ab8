import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import { type DecisionLog, OUTCOMES, type Outcome } from '../decisions/decision-log.js';
import { BadRequest, NotFound } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import type { ChainCheck } from '../login/chain-check.js';
import type { StateControl } from '../state/state-control.js';
import type { Devices } from '../tenants/devices.js';
import { LIFESPAN, type TenantOptions } from '../tenants/tenant-options.js';
import type { Tenants } from '../tenants/tenants.js';
import {
  CERTIFICATE_STATUSES,
  type CertificateStatus,
  type TrustedCertificates,
} from '../tenants/trusted-certificates.js';
import type { TokenAuthenticator } from '../tokens/token-authenticator.js';
import type { Tokens } from '../tokens/tokens.js';
import { checkChain, decodeToken } from './inspect.js';
import type { UiSessions, Viewer } from './sessions.js';
import { requireSession } from './ui-auth.js';
import { assertAdmin, assertCanAct, canSee, describeViewer, visibleTenants } from './viewer.js';
import { deviceViews, tenantView, tokenViews } from './views.js';

const RESOURCE = 'dashboard';

function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest(RESOURCE, `Send a JSON object, e.g. ${example}.`);
  }
  return body as Record<string, unknown>;
}

/** A query parameter given at most once: `?outcome=a&outcome=b` is a 400, not a silent choice. */
function queryValue(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new BadRequest(RESOURCE, `${name} may be given only once.`);
  return value === '' ? undefined : value;
}

function stringField(body: Record<string, unknown>, name: string, example: string): string {
  const value = body[name];
  if (typeof value !== 'string')
    throw new BadRequest(RESOURCE, `"${name}" must be a string, e.g. ${example}.`);
  return value;
}

/**
 * The dashboard's JSON API, read from the domain services (not over HTTP):
 * tenants and their trust, devices, tokens, the chain check and token decoder,
 * the decision log, and the trainer's actions. Every route needs a session; a
 * tenant administrator sees and changes their own tenant only.
 */
export interface UiApiOptions {
  clock: Clock;
  tenants: Tenants;
  trust: TrustedCertificates;
  options: TenantOptions;
  devices: Devices;
  tokens: Tokens;
  authenticator: TokenAuthenticator;
  decisions: DecisionLog;
  chains: ChainCheck;
  state: StateControl;
  sessions: UiSessions;
}

export async function uiApiRoutes(app: FastifyInstance, services: UiApiOptions) {
  const { clock, tenants, trust, options, tokens, decisions, chains, state, sessions } = services;
  const route = { config: { resource: RESOURCE }, preHandler: requireSession(sessions, tenants) };
  const viewerOf = (request: { uiSession?: { viewer: Viewer } }) => request.uiSession!.viewer;
  const tenantOrNotFound = (tenantId: string) => {
    const tenant = tenants.get(tenantId);
    if (!tenant) throw new NotFound(RESOURCE, `No tenant ${tenantId}.`);
    return tenant;
  };

  app.get('/_mock/ui/api/tenants', route, async (request, reply) =>
    reply.type(MEDIA.json).send({
      now: clock.now(),
      tenants: visibleTenants(tenants, viewerOf(request)).map((tenant) => tenantView(services, tenant)),
    }),
  );

  app.put<{ Params: { tenantId: string; fingerprint: string } }>(
    '/_mock/ui/api/tenants/:tenantId/trusted-certificates/:fingerprint',
    route,
    async (request, reply) => {
      const { tenantId, fingerprint } = request.params;
      const viewer = viewerOf(request);
      assertCanAct(viewer, tenantId);
      const example = '{"status": "DISABLED"} or {"autoRegistrationEnabled": true}';
      const body = objectBody(request.body, example);
      const { status, autoRegistrationEnabled } = body;
      if (status !== undefined && !CERTIFICATE_STATUSES.includes(status as CertificateStatus)) {
        throw new BadRequest(
          RESOURCE,
          `"status" must be ENABLED or DISABLED; got ${JSON.stringify(status)}.`,
        );
      }
      if (autoRegistrationEnabled !== undefined && typeof autoRegistrationEnabled !== 'boolean') {
        throw new BadRequest(RESOURCE, `"autoRegistrationEnabled" must be true or false.`);
      }
      if (status === undefined && autoRegistrationEnabled === undefined) {
        throw new BadRequest(RESOURCE, `Nothing to change: send ${example}.`);
      }
      const { record } = trust.update(tenantId, fingerprint, {
        status: status as CertificateStatus | undefined,
        autoRegistrationEnabled: autoRegistrationEnabled as boolean | undefined,
      });
      request.log.info(
        `dashboard: ${describeViewer(viewer)} set trusted certificate '${record.name}' of ${tenantId} to ${record.status}, auto-registration ${record.autoRegistrationEnabled ? 'on' : 'off'}`,
      );
      const tenant = tenantOrNotFound(tenantId);
      return reply.type(MEDIA.json).send(tenantView(services, tenant));
    },
  );

  app.put<{ Params: { tenantId: string } }>(
    '/_mock/ui/api/tenants/:tenantId/lifespan',
    route,
    async (request, reply) => {
      const { tenantId } = request.params;
      const viewer = viewerOf(request);
      assertCanAct(viewer, tenantId);
      const tenant = tenantOrNotFound(tenantId);
      const { seconds } = objectBody(request.body, '{"seconds": 3600}');
      if (typeof seconds !== 'string' && typeof seconds !== 'number') {
        throw new BadRequest(
          RESOURCE,
          '"seconds" must be a whole number of seconds, e.g. {"seconds": 3600}.',
        );
      }
      options.set({
        tenantId,
        category: LIFESPAN.category,
        key: LIFESPAN.key,
        value: String(seconds).trim(),
      });
      request.log.info(
        `dashboard: ${describeViewer(viewer)} set the device token lifetime of ${tenantId} to ${seconds} s`,
      );
      return reply.type(MEDIA.json).send(tenantView(services, tenant));
    },
  );

  app.get('/_mock/ui/api/devices', route, async (request, reply) =>
    reply.type(MEDIA.json).send({
      now: clock.now(),
      tenants: visibleTenants(tenants, viewerOf(request)).map((tenant) => ({
        id: tenant.id,
        domain: tenant.domain,
        devices: deviceViews(services, tenant),
      })),
    }),
  );

  app.get('/_mock/ui/api/tokens', route, async (request, reply) =>
    reply.type(MEDIA.json).send({
      now: clock.now(),
      tokens: visibleTenants(tenants, viewerOf(request))
        .flatMap((tenant) => tokenViews(tokens, tenant))
        .sort((a, b) => b.issuedAt - a.issuedAt),
    }),
  );

  app.post<{ Params: { hash: string } }>(
    '/_mock/ui/api/tokens/:hash/revoke',
    route,
    async (request, reply) => {
      const viewer = viewerOf(request);
      const token = tokens.find(request.params.hash);
      if (!token)
        throw new NotFound(RESOURCE, 'No token with this hash (it may have expired and been pruned).');
      assertCanAct(viewer, token.tenantId);
      const revocation = tokens.revoke(token);
      if (revocation.now) {
        request.log.info(
          `dashboard: ${describeViewer(viewer)} revoked a token of ${token.userName} (${token.tenantId})`,
        );
      }
      return reply.type(MEDIA.json).send({ hash: token.hash, revokedAt: revocation.revokedAt });
    },
  );

  app.post('/_mock/ui/api/chain', route, async (request, reply) => {
    const example = '{"chain": "-----BEGIN CERTIFICATE-----..."}';
    const chain = stringField(objectBody(request.body, example), 'chain', example);
    return reply.type(MEDIA.json).send(checkChain(chains, viewerOf(request), chain));
  });

  app.post('/_mock/ui/api/decode', route, async (request, reply) => {
    const example = '{"token": "eyJhbGciOi..."}';
    const token = stringField(objectBody(request.body, example), 'token', example);
    return reply.type(MEDIA.json).send(await decodeToken(services, viewerOf(request), token));
  });

  app.get<{ Querystring: Record<'tenant' | 'outcome' | 'limit', string | string[] | undefined> }>(
    '/_mock/ui/api/decisions',
    route,
    async (request, reply) => {
      const viewer = viewerOf(request);
      const outcome = queryValue(request.query.outcome, 'outcome');
      const limit = queryValue(request.query.limit, 'limit');
      let tenant = queryValue(request.query.tenant, 'tenant');
      if (tenant !== undefined) assertCanAct(viewer, tenant);
      if (viewer.kind === 'tenant') tenant = viewer.tenantId;
      if (outcome !== undefined && !OUTCOMES.includes(outcome as Outcome)) {
        throw new BadRequest(
          RESOURCE,
          `outcome must be one of ${OUTCOMES.join(', ')}; got ${JSON.stringify(outcome)}.`,
        );
      }
      if (limit !== undefined && !/^[1-9]\d{0,6}$/.test(limit)) {
        throw new BadRequest(RESOURCE, `limit must be a whole number from 1; got ${JSON.stringify(limit)}.`);
      }
      const list = decisions.list({
        tenantId: tenant,
        outcome: outcome ? (outcome as Outcome) : undefined,
        limit: limit === undefined ? 100 : Number(limit),
      });
      return reply
        .type(MEDIA.json)
        .send({ now: clock.now(), decisions: list.filter((d) => canSee(viewer, d.tenantId)) });
    },
  );

  app.post('/_mock/ui/api/reset', route, async (request, reply) => {
    const viewer = viewerOf(request);
    assertAdmin(viewer, 'reset the mock to its seed');
    await state.reset();
    request.log.info(`dashboard: ${describeViewer(viewer)} reset the state to the seed ${state.seedSource}`);
    return reply
      .type(MEDIA.json)
      .send({ status: 'reset', seed: state.seedSource, tenants: tenants.list().map((t) => t.id) });
  });
}
