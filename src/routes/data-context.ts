import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { actorOf } from '../auth/actor.js';
import type { RequestAuth } from '../auth/principal.js';
import type { Actor } from '../device-data/actor.js';
import { NotFound } from '../errors.js';
import { origin } from '../http/links.js';
import type { ResponseBodyPolicy } from '../http/response-body.js';

/** What every device data route plugin is given besides its domain service. */
export interface DataRouteOptions {
  /** Who sent the request: a device token or a tenant administrator. */
  auth: RequestAuth;
  responseBody: ResponseBodyPolicy;
}

/** The actor and the origin of `self` links for an authenticated request. */
export function callerOf(request: FastifyRequest): { actor: Actor; base: string } {
  const principal = request.principal!;
  return { actor: actorOf(principal), base: origin(request, principal.tenant.domain) };
}

/**
 * Authentication runs when the request arrives, before its body is read: a
 * call without credentials is a 401 before any 400, 404 or 415, as on the
 * platform.
 */
export const routeOptions = (options: DataRouteOptions, resource: string): RouteShorthandOptions => ({
  onRequest: options.auth.principal,
  config: { resource },
});

/** Registers a collection route also under its trailing-slash form (thin-edge posts to `/event/events/`). */
export function bothForms(path: string): string[] {
  return [path, `${path}/`];
}

export type Params<K extends string> = { Params: Record<K, string>; Querystring: Record<string, unknown> };

/**
 * Any other path under an API's prefix: authenticated first, then the usual
 * 404, so a call without credentials is a 401 there too, as on the platform.
 */
export function unknownPathsUnder(app: FastifyInstance, prefix: string, options: DataRouteOptions): void {
  app.all(`${prefix}/*`, routeOptions(options, 'general'), async (request) => {
    throw new NotFound(
      'general',
      `No resource at ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}.`,
    );
  });
}
