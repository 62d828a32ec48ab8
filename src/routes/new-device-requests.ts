import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { isoDate } from '../clock.js';
import type { Enrollment } from '../enrollment/enrollment.js';
import type { EnrollmentRequestRecord, EnrollmentRequests } from '../enrollment/enrollment-requests.js';
import { NotFound, UnprocessableEntity } from '../errors.js';
import { BodyReader } from '../http/fields.js';
import { origin } from '../http/links.js';
import { MEDIA } from '../http/media-types.js';
import { pageOf, parsePaging } from '../http/paging.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';

const RESOURCE = 'devicecontrol';
type Query = Record<string, string | string[] | undefined>;

/**
 * /devicecontrol/newDeviceRequests for the tenant CA's enrollment: a request
 * with `enrollmentToken` registers the device with that one-time password at
 * once (status ACCEPTED); it is listed until the device enrolls. The platform's
 * other registration flow (a device polling for credentials) is not simulated.
 */
export async function newDeviceRequestRoutes(
  app: FastifyInstance,
  {
    auth,
    enrollment,
    requests,
    responseBody,
  }: {
    auth: RequestAuth;
    enrollment: Enrollment;
    requests: EnrollmentRequests;
    responseBody: ResponseBodyPolicy;
  },
) {
  const body = new BodyReader(RESOURCE);
  const options = { preHandler: auth.administrator, config: { resource: RESOURCE } };
  const collection = '/devicecontrol/newDeviceRequests';

  const json = (request: FastifyRequest, record: EnrollmentRequestRecord) => {
    const base = origin(request, request.principal!.tenant.domain);
    return {
      creationTime: isoDate(record.createdAt),
      ...(record.groupId !== null ? { groupId: record.groupId } : {}),
      id: record.externalId,
      owner: record.owner,
      self: `${base}${collection}/${encodeURIComponent(record.externalId)}`,
      status: 'ACCEPTED',
      tenantId: record.tenantId,
      ...(record.type !== null ? { type: record.type } : {}),
    };
  };

  const find = (request: FastifyRequest<{ Params: { id: string } }>) => {
    const found = requests.get(request.principal!.tenant.id, request.params.id);
    if (!found) {
      throw new NotFound(RESOURCE, `Could not find newDeviceRequest by ID ${request.params.id}`);
    }
    return found;
  };

  app.post(collection, options, async (request, reply) => {
    const principal = request.principal!;
    const object = body.object(request.body);
    if (object.id === undefined) {
      // The platform's words and error type, from a recorded answer (go-c8y-cli's test fixtures).
      throw new UnprocessableEntity(
        'undefined/validationError',
        'Following mandatory fields should be included: id',
      );
    }
    const externalId = body.string(object, 'id', { required: true, nonEmpty: true })!;
    const otp = body.string(object, 'enrollmentToken');
    if (otp === undefined) {
      return body.fail(
        'The mock simulates new device requests for the tenant CA only: send enrollmentToken, the one-time password the device enrolls with at /.well-known/est/simpleenroll.',
      );
    }
    const record = enrollment.register(principal.tenant.id, {
      externalId,
      otp,
      type: body.string(object, 'type', { nonEmpty: true }),
      groupId: body.string(object, 'groupId', { nonEmpty: true }),
      owner: principal.kind === 'user' ? principal.userName : principal.device.userName,
      source: 'request',
    });
    request.log.info({ tenant: principal.tenant.id, device: externalId }, 'device registered for enrollment');
    return sendWritten(request, reply, responseBody, {
      status: 201,
      type: MEDIA.newDeviceRequest,
      body: () => json(request, record),
    });
  });

  app.get<{ Querystring: Query }>(collection, options, async (request, reply) => {
    const { tenant } = request.principal!;
    const paging = parsePaging(request.query, RESOURCE);
    const base = origin(request, tenant.domain);
    const page = pageOf(requests.list(tenant.id), paging, `${base}${collection}`);
    return reply.type(MEDIA.newDeviceRequestCollection).send({
      newDeviceRequests: page.items.map((record) => json(request, record)),
      ...(page.next ? { next: page.next } : {}),
      ...(page.prev ? { prev: page.prev } : {}),
      self: page.self,
      statistics: page.statistics,
    });
  });

  app.get<{ Params: { id: string } }>(`${collection}/:id`, options, async (request, reply) =>
    reply.type(MEDIA.newDeviceRequest).send(json(request, find(request))),
  );

  app.delete<{ Params: { id: string } }>(`${collection}/:id`, options, async (request, reply) => {
    const record = find(request);
    requests.remove(record.tenantId, record.externalId);
    request.log.info({ tenant: record.tenantId, device: record.externalId }, 'newDeviceRequest deleted');
    return reply.status(204).send();
  });
}
