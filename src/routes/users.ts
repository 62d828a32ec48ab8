import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { isoDate } from '../clock.js';
import { NotFound } from '../errors.js';
import { BodyReader } from '../http/fields.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import { type DeviceRecord, type Devices, externalIdOf } from '../tenants/devices.js';
import { DEVICE_ROLES } from '../tenants/roles.js';

const RESOURCE = 'user';

type Params = { tenantId: string; userName: string };

export interface UserRouteOptions {
  auth: RequestAuth;
  devices: Devices;
  responseBody: ResponseBodyPolicy;
}

/**
 * GET and PUT /user/{tenantId}/users/{userName} for device users (`device_<ID>`): what the docs'
 * "disable the device user" needs. Only `enabled` changes; a disabled device gets no token, its
 * tokens are refused and its MQTT connection ends.
 */
export async function userRoutes(app: FastifyInstance, { auth, devices, responseBody }: UserRouteOptions) {
  const body = new BodyReader(RESOURCE);
  const options = { preHandler: auth.administrator, config: { resource: RESOURCE } };
  const path = '/user/:tenantId/users/:userName';

  const deviceOf = (request: FastifyRequest<{ Params: Params }>) => {
    const { tenantId, userName } = request.params;
    const tenant = auth.assertTenantAccess(request.principal, tenantId);
    const device = userName.startsWith('device_') ? devices.get(tenantId, externalIdOf(userName)) : undefined;
    if (!device) {
      throw new NotFound(RESOURCE, `User with username = ${userName} not found`, {
        reason: `the mock's user API knows the device users of tenant ${tenantId} (device_<ID>); ${userName} is none`,
      });
    }
    return { device, base: origin(request, tenant.domain) };
  };

  app.get<{ Params: Params }>(path, options, async (request, reply) => {
    const { device, base } = deviceOf(request);
    return reply.type(MEDIA.user).send(userJson(device, base));
  });

  app.put<{ Params: Params }>(path, options, async (request, reply) => {
    const { device, base } = deviceOf(request);
    // The rest of the platform's user fields are accepted and not kept: a device user has no name or email.
    const enabled = body.boolean(body.object(request.body), 'enabled');
    const updated =
      enabled === undefined ? device : devices.setEnabled(device.tenantId, device.externalId, enabled)!;
    request.log.info(
      { tenant: device.tenantId, user: device.userName, enabled: updated.enabled !== false },
      'device user updated',
    );
    return sendWritten(request, reply, responseBody, {
      status: 200,
      type: MEDIA.user,
      body: () => userJson(updated, base),
    });
  });
}

/** A device user as the platform's `user` representation shows it. */
function userJson(device: DeviceRecord, base: string) {
  const self = `${base}/user/${device.tenantId}/users/${encodeURIComponent(device.userName)}`;
  return {
    id: device.userName,
    self,
    userName: device.userName,
    enabled: device.enabled !== false,
    shouldResetPassword: false,
    lastPasswordChange: isoDate(device.registeredAt),
    roles: {
      self: `${self}/roles`,
      references: DEVICE_ROLES.map((id) => ({
        self: `${self}/roles/${id}`,
        role: { id, name: id, self: `${base}/user/roles/${id}` },
      })),
    },
    groups: { self: `${self}/groups`, references: [] },
    devicePermissions: {},
  };
}
