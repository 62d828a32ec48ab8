import type { FastifyInstance } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { BadRequest } from '../errors.js';
import { readCsv } from '../http/csv.js';
import { MEDIA } from '../http/media-types.js';
import { readUpload } from '../http/multipart.js';
import { type ResponseBodyPolicy, sendWritten } from '../http/response-body.js';
import type { BulkRegistration } from '../tenants/bulk-registration.js';
import { readBulkRegistration } from './bulk-registration-csv.js';

const RESOURCE = 'devicecontrol';

/** POST /devicecontrol/bulkNewDeviceRequests: register devices in advance from a CSV file. */
export async function bulkDeviceRequestRoutes(
  app: FastifyInstance,
  {
    auth,
    bulkRegistration,
    responseBody,
  }: { auth: RequestAuth; bulkRegistration: BulkRegistration; responseBody: ResponseBodyPolicy },
) {
  app.post(
    '/devicecontrol/bulkNewDeviceRequests',
    { preHandler: auth.administrator, config: { resource: RESOURCE } },
    async (request, reply) => {
      const principal = request.principal!;
      const { tenant } = principal;
      if (!request.isMultipart()) {
        throw new BadRequest(RESOURCE, 'Send the CSV file as multipart/form-data in the field "file".');
      }
      const { file } = await readUpload(request, RESOURCE);
      if (!file) throw new BadRequest(RESOURCE, 'Send the CSV file in the multipart field "file".');
      // The platform detects the separator: tab, semicolon or comma.
      const rows = readBulkRegistration(readCsv(file, RESOURCE, [';', ',', '\t']));
      const owner = principal.kind === 'user' ? principal.userName : principal.device.userName;
      const result = bulkRegistration.register(tenant.id, rows, owner);
      request.log.info(
        { tenant: tenant.id, created: result.numberOfCreated, failed: result.numberOfFailed },
        'bulk device registration',
      );
      return sendWritten(request, reply, responseBody, {
        status: 201,
        type: MEDIA.bulkNewDeviceRequest,
        body: () => result,
      });
    },
  );
}
