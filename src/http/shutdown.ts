import type { FastifyInstance } from 'fastify';
import { C8yError } from '../errors.js';
import { sendError } from './error-handler.js';

/**
 * While the server shuts down, requests already running finish; a new request
 * on a kept-alive connection gets 503 with Cumulocity's error body (Fastify's
 * own 503 has another shape), and Fastify adds `Connection: close`, so the
 * client reconnects, which the closed port refuses.
 */
export function refuseRequestsWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook: while the server runs, a request pays one check, not a promise (issue 19).
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    request.log.info('refused: the server is shutting down');
    sendError(
      reply,
      new C8yError(
        503,
        'general/Service Unavailable',
        'The server is shutting down; retry on a new connection.',
      ),
    );
  });
}
