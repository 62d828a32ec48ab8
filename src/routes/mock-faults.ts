import type { FastifyInstance } from 'fastify';
import { type AdminSecret, requireAdminSecret } from '../auth/admin-secret.js';
import { BadRequest, NotFound } from '../errors.js';
import { FaultRuleError } from '../faults/fault-rule.js';
import type { Faults } from '../faults/faults.js';
import { MEDIA } from '../http/media-types.js';

export interface MockFaultOptions {
  adminSecret: AdminSecret;
  faults: Faults;
}

/**
 * /_mock/faults: POST a rule, GET the list, DELETE one or all (behind the admin secret). Rules are
 * test state: a reset clears them, a restart forgets them.
 */
export async function mockFaultRoutes(app: FastifyInstance, { adminSecret, faults }: MockFaultOptions) {
  const route = { config: { resource: 'mock' }, preHandler: requireAdminSecret(adminSecret) };

  app.get('/_mock/faults', route, async (_request, reply) =>
    reply.type(MEDIA.json).header('cache-control', 'no-store').send({ rules: faults.list() }),
  );

  app.post('/_mock/faults', route, async (request, reply) => {
    let rule: ReturnType<Faults['add']>;
    try {
      rule = faults.add(request.body);
    } catch (error) {
      if (error instanceof FaultRuleError)
        throw new BadRequest('mock', `Invalid fault rule: ${error.message}.`);
      throw error;
    }
    request.log.info(`fault rule ${rule.id} added: ${rule.door} ${rule.action}`);
    return reply.status(201).type(MEDIA.json).header('location', `/_mock/faults/${rule.id}`).send(rule);
  });

  app.get<{ Params: { id: string } }>('/_mock/faults/:id', route, async (request, reply) => {
    const rule = faults.get(request.params.id);
    if (!rule) throw new NotFound('mock', `There is no fault rule ${request.params.id}.`);
    return reply.type(MEDIA.json).header('cache-control', 'no-store').send(rule);
  });

  app.delete<{ Params: { id: string } }>('/_mock/faults/:id', route, async (request, reply) => {
    if (!faults.remove(request.params.id))
      throw new NotFound('mock', `There is no fault rule ${request.params.id}.`);
    request.log.info(`fault rule ${request.params.id} removed`);
    return reply.status(204).send();
  });

  app.delete('/_mock/faults', route, async (request, reply) => {
    faults.clear();
    request.log.info('every fault rule removed');
    return reply.status(204).send();
  });
}
