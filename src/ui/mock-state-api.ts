import type { FastifyInstance } from 'fastify';
import type { ControllableClock } from '../clock.js';
import type { Faults } from '../faults/faults.js';
import { MEDIA } from '../http/media-types.js';
import type { Tenants } from '../tenants/tenants.js';
import type { UiSessions } from './sessions.js';
import { requireSession } from './ui-auth.js';

export interface MockStateApiOptions {
  clock: ControllableClock;
  faults: Faults;
  tenants: Tenants;
  sessions: UiSessions;
}

/**
 * What a test suite changed that every page must show (issue 20): the mock's clock when it is not
 * real time, and the active fault rules; a tenant administrator sees the rules of every tenant or
 * of their own.
 */
export async function uiMockStateRoutes(
  app: FastifyInstance,
  { clock, faults, tenants, sessions }: MockStateApiOptions,
) {
  const route = { config: { resource: 'dashboard' }, preHandler: requireSession(sessions, tenants) };
  app.get('/_mock/ui/api/mock-state', route, async (request, reply) => {
    const viewer = request.uiSession!.viewer;
    const rules = faults
      .list()
      .filter((rule) => rule.active)
      .filter(
        (rule) => viewer.kind === 'admin' || rule.tenant === undefined || rule.tenant === viewer.tenantId,
      );
    return reply
      .type(MEDIA.json)
      .header('cache-control', 'no-store')
      .send({ clock: { now: clock.now(), offsetMs: clock.offsetMs }, faults: rules });
  });
}
