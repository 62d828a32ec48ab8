import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { RequestAuth } from './auth/principal.js';
import type { Limits } from './config.js';
import { type HttpDoor, type MtlsServes, TOKEN_ONLY_HINT } from './http/doors.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling } from './http/error-handler.js';
import { registerFaultInjection } from './http/fault-injection.js';
import { registerJsonParsers } from './http/media-types.js';
import { registerMultipart } from './http/multipart.js';
import { type PeerCertificates, tlsPeerCertificates } from './http/peer-certificates.js';
import { requestLogger } from './http/request-logger.js';
import type { ResponseBodyPolicy } from './http/response-body.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { refuseRequestsWhileClosing } from './http/shutdown.js';
import { alarmRoutes } from './routes/alarms.js';
import { bulkDeviceRequestRoutes } from './routes/bulk-device-requests.js';
import { certificateAuthorityRoutes } from './routes/certificate-authority.js';
import { crlRoutes } from './routes/crl.js';
import { currentTenantRoutes } from './routes/current-tenant.js';
import { currentUserRoutes } from './routes/current-user.js';
import { deviceAccessTokenRoutes } from './routes/device-access-token.js';
import { estRoutes } from './routes/est.js';
import { eventRoutes } from './routes/events.js';
import { featureRoutes } from './routes/features.js';
import { identityRoutes } from './routes/identity.js';
import { inventoryRoutes } from './routes/inventory.js';
import { measurementRoutes } from './routes/measurements.js';
import { mockClockRoutes } from './routes/mock-clock.js';
import { mockControlRoutes } from './routes/mock-control.js';
import { mockFaultRoutes } from './routes/mock-faults.js';
import { newDeviceRequestRoutes } from './routes/new-device-requests.js';
import { operationRoutes } from './routes/operations.js';
import { proofOfPossessionRoutes } from './routes/proof-of-possession.js';
import { tenantOptionRoutes } from './routes/tenant-options.js';
import { trustedCertificateRoutes } from './routes/trusted-certificates.js';
import { userRoutes } from './routes/users.js';
import { verifyCertChainRoutes } from './routes/verify-cert-chain.js';
import type { Services } from './services.js';
import { followTrust } from './tls/follow-trust.js';
import type { ServerCredentials } from './tls/tls-context.js';
import { dashboardRoutes } from './ui/dashboard.js';

export interface BuildOptions {
  /** The domain services, built once by `createServices`. */
  services: Services;
  /** Which door this app is (default `mtls`); each door is an app of its own over the same services. */
  door?: HttpDoor | undefined;
  /** What the mTLS door serves (default `all`). */
  mtlsServes?: MtlsServes | undefined;
  limits: Limits;
  /** Whether POST/PUT answers of the platform's APIs carry the object without an Accept header. */
  responseBody: ResponseBodyPolicy;
  logger?: Logger | undefined;
  /** Serve HTTPS with these credentials, asking every client for a certificate. */
  tls?: ServerCredentials | undefined;
  /** Whether the token endpoint counts issuers that only the TLS handshake carried (default: the leaf only, as the platform). */
  acceptHandshakeChain?: boolean | undefined;
  /** Where client certificates come from (default: the TLS handshake). */
  peerCertificates?: PeerCertificates | undefined;
  /** Where the dashboard's files are (default: the package's ui/ folder). */
  assetsDir?: string | undefined;
}

const PRUNE_INTERVAL_MS = 60_000;

const noPeerCertificates = () => [];

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/**
 * Builds the HTTP application over the domain services. Pure: it reads no
 * environment, opens no port, and every test builds its own. Each plugin is
 * handed the services it uses.
 */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { services, limits } = options;
  const door = options.door ?? 'mtls';
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger, childLoggerFactory: requestLogger }
      : { logger: false }),
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
            key: options.tls.key,
            cert: options.tls.cert,
            // The API door, like the platform's 443, asks for no client certificate.
            requestCert: door === 'mtls',
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
  if (options.tls && door === 'mtls') {
    // Before listening too: a seed applied between build and listen must reach the first handshake.
    const unfollow = followTrust(
      app.server as import('node:https').Server,
      options.tls,
      services.trust,
      app.log,
    );
    app.addHook('onClose', async () => unfollow());
  }

  // Only when the line is written: below `info` a request pays nothing here (issue 19).
  if (options.logger?.isLevelEnabled('info')) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        { status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        `${request.method} ${request.url.split('?')[0]} ${reply.statusCode}`,
      );
      done();
    });
  }

  registerSecurityHeaders(app);
  registerJsonParsers(app);
  const tokenOnly = door === 'mtls' && options.mtlsServes === 'token';
  registerErrorHandling(app, tokenOnly ? TOKEN_ONLY_HINT : undefined);
  refuseRequestsWhileClosing(app);
  // The API door asks for no client certificate: whatever a socket carries there is not a login.
  const peerCertificates =
    door === 'api' ? noPeerCertificates : (options.peerCertificates ?? tlsPeerCertificates);
  registerFaultInjection(app, {
    faults: services.faults,
    tenants: services.tenants,
    trust: services.trust,
    peerCertificates,
  });

  const { clock, tenants, trust, options: tenantOptions, devices, crl, tokens, authenticator } = services;
  const { decisions, chains, login, state, keys, adminSecret, uiSessions } = services;
  const { inventory, identity, measurements, events, alarms, operations, deviceObjects } = services;
  const auth = new RequestAuth({ tenants, authenticator });

  // One door prunes: the stored tokens are the services', shared by both.
  if (door === 'mtls') {
    const prune = () => {
      const removed = tokens.pruneExpired();
      if (removed > 0) app.log.debug({ removed }, 'pruned expired tokens and revocations');
    };
    let pruner: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      prune();
      pruner = setInterval(prune, PRUNE_INTERVAL_MS).unref();
    });
    app.addHook('onClose', async () => clearInterval(pruner));
  }

  // Devices and whoever holds a token.
  await app.register(deviceAccessTokenRoutes, {
    login,
    door,
    peerCertificates,
    acceptHandshakeChain: options.acceptHandshakeChain === true,
    responseBody: options.responseBody,
  });
  if (tokenOnly) return app;
  await app.register(currentUserRoutes, { auth, authenticator });
  await app.register(currentTenantRoutes, { auth });
  await app.register(userRoutes, { auth, devices, responseBody: options.responseBody });
  await app.register(featureRoutes, {
    auth,
    features: services.features,
    responseBody: options.responseBody,
  });
  await app.register(mockControlRoutes, {
    adminSecret,
    state,
    decisions,
    keys,
    tenants,
    trust,
    mqttSessions: services.mqttSessions,
  });
  await app.register(mockClockRoutes, { adminSecret, clock });
  await app.register(mockFaultRoutes, { adminSecret, faults: services.faults });
  await app.register(dashboardRoutes, {
    clock,
    tenants,
    trust,
    options: tenantOptions,
    devices,
    tokens,
    authenticator,
    decisions,
    chains,
    state,
    adminSecret,
    sessions: uiSessions,
    deviceObjects,
    inventory,
    measurements,
    events,
    alarms,
    operations,
    authorities: services.authorities,
    enrollmentRequests: services.enrollmentRequests,
    issuedCertificates: services.issuedCertificates,
    faults: services.faults,
    assetsDir: options.assetsDir,
  });

  // Tenant administration (HTTP Basic as a tenant administrator).
  const { responseBody } = options;
  await app.register(trustedCertificateRoutes, { auth, trust, responseBody });
  await app.register(proofOfPossessionRoutes, {
    auth,
    trust,
    proofOfPossession: services.proofOfPossession,
    responseBody,
  });
  // Multipart forms only where a route reads one: @fastify/multipart's hooks (an async onRequest
  // and onResponse) cost every request of their context about 2 µs (issue 19). Elsewhere a
  // multipart body gets the 415 of any other type the route does not take.
  await app.register(async (uploads) => {
    await registerMultipart(uploads, limits.bodyLimit);
    await uploads.register(verifyCertChainRoutes, { auth, tenants, chains });
    await uploads.register(crlRoutes, { auth, crl });
    await uploads.register(bulkDeviceRequestRoutes, {
      auth,
      bulkRegistration: services.bulkRegistration,
      responseBody,
    });
  });
  await app.register(tenantOptionRoutes, { auth, options: tenantOptions, responseBody });

  // The tenant's own CA and EST enrollment (issue 16).
  const { authorities, enrollment, enrollmentRequests } = services;
  await app.register(certificateAuthorityRoutes, { auth, authorities, responseBody });
  await app.register(newDeviceRequestRoutes, {
    auth,
    enrollment,
    requests: enrollmentRequests,
    responseBody,
  });
  await app.register(estRoutes, { auth, tenants, enrollment });

  // The device data APIs: a device token or a tenant administrator (issue 15).
  const data = { auth, responseBody: options.responseBody };
  await app.register(inventoryRoutes, { ...data, inventory });
  await app.register(identityRoutes, { ...data, identity });
  await app.register(measurementRoutes, { ...data, measurements, commit: services.groupCommit });
  await app.register(eventRoutes, { ...data, events });
  await app.register(alarmRoutes, { ...data, alarms, inventory });
  await app.register(operationRoutes, { ...data, operations });

  return app;
}
