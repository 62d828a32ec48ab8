import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFound } from '../errors.js';
import { type Asset, loadAssets, UI_DIR } from './assets.js';
import { type DeviceDataApiOptions, uiDeviceDataRoutes } from './device-data-api.js';
import { type EnrollmentApiOptions, uiEnrollmentRoutes } from './enrollment-api.js';
import { type UiEventOptions, uiEventRoutes } from './events.js';
import { type MockStateApiOptions, uiMockStateRoutes } from './mock-state-api.js';
import { type UiApiOptions, uiApiRoutes } from './ui-api.js';
import { type UiAuthOptions, uiAuthRoutes } from './ui-auth.js';

/** The domain services the dashboard reads and acts through, and its sign-in sessions. */
export type DashboardServices = UiApiOptions &
  UiAuthOptions &
  UiEventOptions &
  DeviceDataApiOptions &
  EnrollmentApiOptions &
  MockStateApiOptions;

export interface DashboardOptions extends DashboardServices {
  /** Where the page's files are (default: the package's ui/ folder). */
  assetsDir?: string | undefined;
}

/**
 * The training-lab dashboard: a static page (hand-written HTML, CSS and ES
 * modules from ui/, no build step) at / and /_mock/ui/, and its JSON API and
 * live decision stream under /_mock/ui/api/, behind a sign-in.
 */
export async function dashboardRoutes(app: FastifyInstance, services: DashboardOptions) {
  const {
    assetsDir,
    adminSecret,
    deviceObjects,
    inventory,
    measurements,
    events,
    alarms,
    operations,
    authorities,
    enrollmentRequests,
    issuedCertificates,
    faults,
    ...api
  } = services;
  const { clock, tenants, decisions, state, sessions } = api;
  const dir = assetsDir ?? UI_DIR;
  const assets = loadAssets(dir);
  const resource = { config: { resource: 'dashboard' } };

  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    reply.header('cache-control', 'no-cache').header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    return reply.type(asset.type).send(asset.body);
  };
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const index = assets.get('index.html');
    if (!index)
      throw new NotFound('dashboard', `The dashboard's files are not installed (expected ${dir}index.html).`);
    return send(request, reply, index);
  };

  app.get('/', resource, page);
  app.get('/_mock/ui', resource, page);
  app.get('/_mock/ui/', resource, page);
  app.get<{ Params: { '*': string } }>('/_mock/ui/*', resource, async (request, reply) => {
    const name = request.params['*'];
    const asset = assets.get(name);
    if (!asset) throw new NotFound('dashboard', `No dashboard file ${name.slice(0, 200)}.`);
    return send(request, reply, asset);
  });

  await app.register(uiAuthRoutes, { tenants, state, adminSecret, sessions });
  await app.register(uiApiRoutes, api);
  await app.register(uiEventRoutes, { tenants, decisions, sessions });
  await app.register(uiMockStateRoutes, { clock, faults, tenants, sessions });
  await app.register(uiDeviceDataRoutes, {
    clock,
    tenants,
    sessions,
    deviceObjects,
    inventory,
    measurements,
    events,
    alarms,
    operations,
  });
  await app.register(uiEnrollmentRoutes, {
    clock,
    tenants,
    sessions,
    authorities,
    enrollmentRequests,
    issuedCertificates,
  });
}
