import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Decision, DecisionLog } from '../decisions/decision-log.js';
import type { Tenants } from '../tenants/tenants.js';
import type { UiSessions } from './sessions.js';
import { requireSession } from './ui-auth.js';
import { canSee, describeViewer } from './viewer.js';

/** A comment line this often keeps proxies and the browser from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** How many missed decisions a reconnecting page gets (EventSource's Last-Event-ID). */
const REPLAY_LIMIT = 200;

const frame = (decision: Decision) =>
  `id: ${decision.id}\nevent: decision\ndata: ${JSON.stringify(decision)}\n\n`;

/**
 * GET /_mock/ui/api/events: the decision log live, as server-sent events. A
 * tenant administrator gets their tenant's decisions only. The subscription
 * and heartbeat end when the page goes away, when its session ends, or when
 * the server closes.
 */
export interface UiEventOptions {
  tenants: Tenants;
  decisions: DecisionLog;
  sessions: UiSessions;
}

export async function uiEventRoutes(app: FastifyInstance, { tenants, decisions, sessions }: UiEventOptions) {
  const open = new Set<ServerResponse>();

  app.addHook('preClose', async () => {
    for (const response of open) response.end();
  });

  app.get(
    '/_mock/ui/api/events',
    { config: { resource: 'dashboard' }, preHandler: requireSession(sessions, tenants) },
    async (request, reply) => {
      const session = request.uiSession!;
      const { viewer } = session;
      const response = reply.raw;
      reply.hijack();
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      response.write('retry: 3000\n\n');

      const lastId = Number(request.headers['last-event-id']);
      if (Number.isInteger(lastId) && lastId > 0) {
        const missed = decisions
          .list({ limit: REPLAY_LIMIT })
          .filter((d) => d.id > lastId && canSee(viewer, d.tenantId))
          .reverse();
        for (const decision of missed) response.write(frame(decision));
      }

      // A signed-out or expired session gets no more: its stream ends at the next event or heartbeat.
      const send = (text: string) => {
        if (response.writableEnded) return;
        if (session.ended || sessions.expired(session)) response.end();
        else response.write(text);
      };
      const unsubscribe = decisions.subscribe((decision) => {
        if (canSee(viewer, decision.tenantId)) send(frame(decision));
      });
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), HEARTBEAT_MS).unref();
      open.add(response);
      request.log.debug(`dashboard: live decisions opened for ${describeViewer(viewer)}`);

      response.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(response);
        request.log.debug(`dashboard: live decisions closed for ${describeViewer(viewer)}`);
      });
    },
  );
}
