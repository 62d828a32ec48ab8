import { parseCookie } from 'cookie';
import type { FastifyRequest } from 'fastify';

/** A cookie of the request, percent-decoded; undefined when absent. */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookie(header)[name] : undefined;
}
