import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './http/error-handler.js';
import { registerJsonParsers } from './http/media-types.js';
import { registerMultipart } from './http/multipart.js';
import { type PeerCertificates, tlsPeerCertificates } from './http/peer-certificates.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { refuseRequestsWhileClosing } from './http/shutdown.js';
import { type ServerCredentials, tlsContext } from './http/tls-context.js';

export type { ServerCredentials };

import { requirePrincipal } from './auth/principal.js';
import { alarmRoutes } from './routes/alarms.js';
import { bulkDeviceRequestRoutes } from './routes/bulk-device-requests.js';
import { crlRoutes } from './routes/crl.js';
import { currentTenantRoutes } from './routes/current-tenant.js';
import { currentUserRoutes } from './routes/current-user.js';
import { deviceAccessTokenRoutes } from './routes/device-access-token.js';
import { eventRoutes } from './routes/events.js';
import { identityRoutes } from './routes/identity.js';
import { inventoryRoutes } from './routes/inventory.js';
import { measurementRoutes } from './routes/measurements.js';
import { mockControlRoutes } from './routes/mock-control.js';
import { operationRoutes } from './routes/operations.js';
import { proofOfPossessionRoutes } from './routes/proof-of-possession.js';
import { tenantOptionRoutes } from './routes/tenant-options.js';
import { trustedCertificateRoutes } from './routes/trusted-certificates.js';
import { verifyCertChainRoutes } from './routes/verify-cert-chain.js';
import { type AppDeps, createServices, type Services } from './services.js';
import { dashboardRoutes } from './ui/dashboard.js';

export interface BuildOptions extends AppDeps {
  logger?: Logger;
  /** Serve HTTPS with these credentials, asking every client for a certificate. */
  tls?: ServerCredentials;
  /** Where client certificates come from (default: the TLS handshake). */
  peerCertificates?: PeerCertificates;
}

const PRUNE_INTERVAL_MS = 60_000;

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/**
 * Builds the application from its dependencies. Pure: it reads no environment,
 * opens no port, and every test builds its own.
 */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const services = await createServices(options);
  const { config } = services;
  const { limits } = config;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // One line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    clientErrorHandler: clientErrorHandler(limits.maxHeaderSize),
    frameworkErrors,
    // refuseRequestsWhileClosing answers them with Cumulocity's body instead.
    return503OnClosing: false,
    trustProxy: false,
    ...(options.tls
      ? {
          https: {
            ...secureContextOptions(tlsContext(options.tls, services.trust.index().enabledCertificates())),
            requestCert: true,
            // Refusals are the application's, with Cumulocity's error bodies.
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2' as const,
            maxHeaderSize: limits.maxHeaderSize,
            // Node enforces the request and headers timeouts on a sweep, every 30 s by default;
            // sweep often enough that a slow client is cut close to its limit.
            connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs, limits.requestTimeoutMs),
            // A client that opens TCP and never completes the handshake is slow headers too.
            handshakeTimeout: limits.headersTimeoutMs,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;

  app.decorate('services', services);
  app.server.headersTimeout = limits.headersTimeoutMs;
  app.server.maxConnections = limits.maxConnections;
  if (options.tls) {
    const credentials = options.tls;
    // Also before listening: a seed applied between build and listen must reach the first handshake.
    const unsubscribe = services.trust.onChange((index) => {
      const context = tlsContext(credentials, index.enabledCertificates());
      if (!context.complete) {
        app.log.warn(
          `the names of ${index.size} trusted certificates do not fit in a TLS handshake (about 64 KiB); no acceptable CAs are advertised, so clients send any certificate`,
        );
      }
      (app.server as import('node:https').Server).setSecureContext(secureContextOptions(context));
    });
    app.addHook('onClose', async () => unsubscribe());
  }

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      `${request.method} ${request.url.split('?')[0]} ${reply.statusCode}`,
    );
  });

  registerSecurityHeaders(app);
  registerJsonParsers(app);
  await registerMultipart(app, limits.bodyLimit);
  registerErrorHandling(app);
  refuseRequestsWhileClosing(app);

  await app.register(deviceAccessTokenRoutes, {
    services,
    peerCertificates: options.peerCertificates ?? tlsPeerCertificates,
  });
  await app.register(currentUserRoutes, { services });
  await app.register(currentTenantRoutes, { services });
  await app.register(mockControlRoutes, { services });
  await app.register(dashboardRoutes, { services });

  // Expired tokens and their revocations can go: an expired token is refused anyway.
  const prune = () => {
    const removed = services.store.pruneExpired(Math.floor(services.clock.now() / 1000));
    if (removed > 0) app.log.debug({ removed }, 'pruned expired tokens and revocations');
  };
  let pruner: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    prune();
    pruner = setInterval(prune, PRUNE_INTERVAL_MS).unref();
  });
  app.addHook('onClose', async () => clearInterval(pruner));

  // Tenant administration (HTTP Basic as a tenant administrator).
  await app.register(trustedCertificateRoutes, { services });
  await app.register(proofOfPossessionRoutes, { services });
  await app.register(verifyCertChainRoutes, { services });
  await app.register(crlRoutes, { services });
  await app.register(tenantOptionRoutes, { services });
  await app.register(bulkDeviceRequestRoutes, { services });

  // The device data APIs: a device token or a tenant administrator (issue 15).
  const data = { authenticate: requirePrincipal(services), responseBody: config.responseBody };
  await app.register(inventoryRoutes, { ...data, inventory: services.inventory });
  await app.register(identityRoutes, { ...data, identity: services.identity });
  await app.register(measurementRoutes, { ...data, measurements: services.measurements });
  await app.register(eventRoutes, { ...data, events: services.events });
  await app.register(alarmRoutes, { ...data, alarms: services.alarms, inventory: services.inventory });
  await app.register(operationRoutes, { ...data, operations: services.operations });
  return app;
}

const secureContextOptions = ({ key, cert, ca }: { key: string; cert: string; ca: string[] }) => ({
  key,
  cert,
  ca,
});
