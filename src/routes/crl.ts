import type { FastifyInstance } from 'fastify';
import type { RequestAuth } from '../auth/principal.js';
import { BadRequest } from '../errors.js';
import { readCsv } from '../http/csv.js';
import { MEDIA } from '../http/media-types.js';
import { readUpload } from '../http/multipart.js';
import type { RevocationLists } from '../tenants/crl.js';
import { parseCrlCsv, parseCrlPayload } from './crl-input.js';

const RESOURCE = 'Device Certificates';

export interface CrlOptions {
  auth: RequestAuth;
  crl: RevocationLists;
}

/** /tenant/trusted-certificates/settings/crl: the tenant's offline revocation list. */
export async function crlRoutes(app: FastifyInstance, { auth, crl }: CrlOptions) {
  const options = { preHandler: auth.administrator, config: { resource: RESOURCE } };
  const path = '/tenant/trusted-certificates/settings/crl';

  app.put(path, options, async (request, reply) => {
    const { tenant } = request.principal!;
    if (request.isMultipart()) {
      const { file } = await readUpload(request, RESOURCE);
      if (!file)
        throw new BadRequest(
          RESOURCE,
          'Send the CSV file (SERIALNO,DATE rows) in the multipart field "file".',
        );
      const entries = parseCrlCsv(readCsv(file, RESOURCE, [',', ';', '\t']));
      const { skipped } = crl.revokeFromFile(tenant.id, entries);
      request.log.info(
        { tenant: tenant.id, entries: entries.length, skippedFutureDated: skipped },
        'CRL entries uploaded as a file',
      );
    } else {
      const entries = parseCrlPayload(request.body);
      crl.revokeFromPayload(tenant.id, entries);
      request.log.info({ tenant: tenant.id, entries: entries.length }, 'CRL entries uploaded');
    }
    return reply.status(204).send();
  });

  app.get(path, options, async (request, reply) => {
    const { tenant } = request.principal!;
    return reply.type(MEDIA.crl).send(await crl.encoded(tenant.id));
  });
}
