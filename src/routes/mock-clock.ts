import type { FastifyInstance } from 'fastify';
import { type AdminSecret, requireAdminSecret } from '../auth/admin-secret.js';
import { type ControllableClock, isoDate } from '../clock.js';
import { BadRequest } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import { Iso8601Error, parseDuration, parseInstant } from '../iso8601.js';

export interface MockClockOptions {
  adminSecret: AdminSecret;
  clock: ControllableClock;
}

/** What GET and PUT answer: the mock's now, and how far it is from real time. */
export const clockView = (clock: ControllableClock) => ({
  now: isoDate(clock.now()),
  offsetSeconds: clock.offsetMs / 1000,
});

/** The last instant JSON dates and the certificates' GeneralizedTime can carry. */
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

const USAGE =
  'give one of {"advance": "<ISO 8601 duration>"}, {"set": "<ISO 8601 instant>"} or {"real": true}';

/**
 * GET/PUT /_mock/clock: the mock's time under the test suite's control (behind the admin secret).
 * Moving it moves every rule that judges time; real timeouts stay on real time.
 */
export async function mockClockRoutes(app: FastifyInstance, { adminSecret, clock }: MockClockOptions) {
  const route = { config: { resource: 'mock' }, preHandler: requireAdminSecret(adminSecret) };

  app.get('/_mock/clock', route, async (_request, reply) =>
    reply.type(MEDIA.json).header('cache-control', 'no-store').send(clockView(clock)),
  );

  app.put('/_mock/clock', route, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequest('mock', `The body must be a JSON object: ${USAGE}.`);
    }
    const keys = Object.keys(body);
    if (keys.length !== 1 || !['advance', 'set', 'real'].includes(keys[0]!)) {
      throw new BadRequest('mock', `${USAGE}; got the fields ${JSON.stringify(keys)}.`);
    }
    const { advance, set, real } = body as Record<string, unknown>;
    // What to do, checked before anything moves: an advance moves the offset by exactly its duration.
    // Real time needs no check: it is always a way back, even from a clock that ran past the end.
    let move: () => void;
    let target: number | undefined;
    try {
      if (advance !== undefined) {
        const ms = parseDuration('advance', advance);
        target = clock.now() + ms;
        move = () => clock.advance(ms);
      } else if (set !== undefined) {
        const instant = parseInstant('set', set);
        target = instant;
        move = () => clock.set(instant);
      } else if (real === true) {
        move = () => clock.real();
      } else throw new Iso8601Error(`real must be true; got ${JSON.stringify(real)}`);
    } catch (error) {
      if (error instanceof Iso8601Error) throw new BadRequest('mock', error.message);
      throw error;
    }
    // Written so that NaN is outside too.
    if (target !== undefined && !(target >= 0 && target <= LATEST)) {
      throw new BadRequest(
        'mock',
        `The clock can go from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z; ${keys[0]} would take it outside.`,
      );
    }
    move();
    const view = clockView(clock);
    request.log.info(`mock clock ${view.offsetSeconds === 0 ? 'on real time' : `now ${view.now}`}`);
    return reply.type(MEDIA.json).header('cache-control', 'no-store').send(view);
  });
}
