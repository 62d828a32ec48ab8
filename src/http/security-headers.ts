import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';

/**
 * What every API answer carries: the OWASP REST Security Cheat Sheet's set
 * for JSON APIs. A browser never renders these bodies, so a full content
 * policy protects nothing there, while every client parses each header of
 * every answer (helmet's eleven cost about 12% of `/user/currentUser`'s
 * throughput with the load generator on the same machine). `no-store` is also
 * what RFC 6749 asks of an answer that carries a token.
 */
export const API_SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;

/**
 * helmet's headers on the dashboard (pages, scripts and the JSON they fetch),
 * the API set everywhere else. The helmet middleware is built once here:
 * @fastify/helmet builds it anew for every request. HSTS stays off: on
 * "localhost" it would bind every local port of the user's browser to HTTPS.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const pageHeaders = helmet({ hsts: false });
  const isDashboard = (request: FastifyRequest) =>
    (request.routeOptions.config as { resource?: string } | undefined)?.resource === 'dashboard';
  app.addHook('onRequest', (request, reply, done) => {
    if (isDashboard(request)) {
      pageHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
      return;
    }
    reply.headers(API_SECURITY_HEADERS);
    done();
  });
}
