import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type AdminSecret, requireAdminSecret } from '../auth/admin-secret.js';
import { type DecisionLog, OUTCOMES, type Outcome } from '../decisions/decision-log.js';
import { BadRequest } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import { type MqttSessions, sessionView } from '../mqtt/sessions.js';
import type { StateControl } from '../state/state-control.js';
import type { Tenants } from '../tenants/tenants.js';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';
import type { SigningKeys } from '../tokens/signing-key.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
/** A whole exported state can be large (thousands of certificates and tokens). */
const STATE_BODY_LIMIT = 256 * 1024 * 1024;

/**
 * The control API for test suites, outside Cumulocity's paths: public JWKS and
 * health; reset, state export/import and the decision log behind the admin secret.
 */
export interface MockControlOptions {
  adminSecret: AdminSecret;
  state: StateControl;
  decisions: DecisionLog;
  keys: SigningKeys;
  tenants: Tenants;
  trust: TrustRegistry;
  mqttSessions: MqttSessions;
}

export async function mockControlRoutes(
  app: FastifyInstance,
  { adminSecret, state, decisions, keys, tenants, trust, mqttSessions }: MockControlOptions,
) {
  const requireSecret = requireAdminSecret(adminSecret);
  const config_ = { config: { resource: 'mock' } };

  app.get('/_mock/jwks.json', config_, async (_request, reply) =>
    reply.type(MEDIA.json).header('cache-control', 'max-age=60').send(keys.jwks()),
  );

  app.get('/_mock/health', config_, async (_request, reply) => {
    try {
      return reply.type(MEDIA.json).send({
        status: 'UP',
        version: pkg.version,
        tenants: tenants.count(),
        trustedCertificates: trust.index().size,
      });
    } catch (error) {
      reply.log.error({ err: error }, 'health check failed');
      return reply.status(503).type(MEDIA.json).send({ status: 'DOWN', version: pkg.version });
    }
  });

  app.post('/_mock/reset', { ...config_, preHandler: requireSecret }, async (request, reply) => {
    const connected = mqttSessions.size;
    await state.reset();
    request.log.info(
      `state reset to the seed ${state.seedSource}${connected ? `; ${connected} MQTT connection(s) closed` : ''}`,
    );
    return reply
      .type(MEDIA.json)
      .send({ status: 'reset', seed: state.seedSource, tenants: tenants.list().map((t) => t.id) });
  });

  app.get('/_mock/state', { ...config_, preHandler: requireSecret }, async (_request, reply) =>
    reply.type(MEDIA.json).header('cache-control', 'no-store').send(state.export()),
  );

  app.put(
    '/_mock/state',
    { ...config_, preHandler: requireSecret, bodyLimit: STATE_BODY_LIMIT },
    async (request, reply) => {
      await state.import(request.body);
      request.log.info('state imported');
      return reply.status(204).send();
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/_mock/mqtt/sessions',
    { ...config_, preHandler: requireSecret },
    async (request, reply) =>
      reply
        .type(MEDIA.json)
        .header('cache-control', 'no-store')
        .send({ sessions: mqttSessions.list(request.query.tenant).map(sessionView) }),
  );

  app.get<{ Querystring: { tenant?: string; device?: string; outcome?: string; limit?: string } }>(
    '/_mock/decisions',
    { ...config_, preHandler: requireSecret },
    async (request, reply) => {
      const { tenant, device, outcome, limit } = request.query;
      if (outcome !== undefined && !OUTCOMES.includes(outcome as Outcome)) {
        throw new BadRequest(
          'mock',
          `outcome must be one of ${OUTCOMES.join(', ')}; got ${JSON.stringify(outcome)}`,
        );
      }
      if (limit !== undefined && !/^[1-9]\d{0,6}$/.test(limit)) {
        throw new BadRequest('mock', `limit must be a whole number from 1; got ${JSON.stringify(limit)}`);
      }
      return reply.type(MEDIA.json).send({
        decisions: decisions.list({
          tenantId: tenant,
          externalId: device,
          outcome: outcome as Outcome | undefined,
          limit: limit === undefined ? undefined : Number(limit),
        }),
      });
    },
  );
}
