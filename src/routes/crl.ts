import type { FastifyInstance } from 'fastify';
import { requireAdministrator } from '../auth/principal.js';
import { BadRequest } from '../errors.js';
import { readCsv } from '../http/csv.js';
import { MEDIA } from '../http/media-types.js';
import { readUpload } from '../http/multipart.js';
import { generateKeyPair } from '../pki/certificate-factory.js';
import { encodeCrl } from '../pki/crl-encoder.js';
import type { Services } from '../services.js';
import { parseCrlCsv, parseCrlPayload } from '../tenants/crl-input.js';

const RESOURCE = 'Device Certificates';
/** How long the downloaded CRL says it is current ([INF]). */
const NEXT_UPDATE_MS = 24 * 60 * 60_000;

/** /tenant/trusted-certificates/settings/crl: the tenant's offline revocation list. */
export async function crlRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { crl, clock } = services;
  // The platform's CRL signer is not public and clients only parse the list, so a key made at start will do.
  const { privateKey: crlKey } = await generateKeyPair();
  const options = { preHandler: requireAdministrator(services), config: { resource: RESOURCE } };
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
    const now = clock.now();
    const der = await encodeCrl({
      issuer: [{ CN: [tenant.id] }, { O: ['c8y-mtls-mock offline CRL'] }],
      entries: crl.entries(tenant.id),
      thisUpdate: now,
      nextUpdate: now + NEXT_UPDATE_MS,
      signingKey: crlKey,
    });
    return reply.type(MEDIA.crl).send(der);
  });
}
