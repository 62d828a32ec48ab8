import type { FastifyRequest } from 'fastify';

const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The origin for `self` links. The platform links to the tenant's domain, which
 * is where its clients connect; the mock links to the host the client used, so
 * links work on a laptop and in compose, and falls back to the domain.
 */
export function origin(request: FastifyRequest, domain: string): string {
  const host = request.host;
  return `https://${host && HOST.test(host) ? host : domain}`;
}
