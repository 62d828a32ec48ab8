import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertOwnTenant, type RequestAuth } from '../auth/principal.js';
import { BadRequest, NotFound, UNAUTHORIZED, Unauthorized } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import { readUpload } from '../http/multipart.js';
import { UnreadableChain } from '../login/certificate-reader.js';
import type { ChainCheck } from '../login/chain-check.js';
import type { Certificate } from '../pki/certificate.js';
import { parseCommaSeparatedChainHeader } from '../pki/chain-header.js';
import { decodeCertificateBlocks, PemError } from '../pki/pem.js';
import type { Tenants } from '../tenants/tenants.js';

const RESOURCE = 'Device Certificates';
/** Platform documentation: "For file upload, the max chain length support is 10 and for a header it is 5." */
const MAX_FILE_CHAIN = 10;
const MAX_HEADER_CHAIN = 5;

export interface VerifyCertChainOptions {
  auth: RequestAuth;
  tenants: Tenants;
  chains: ChainCheck;
}

/** POST /tenant/trusted-certificates/verify-cert-chain: would this chain get a device token from this tenant? */
export async function verifyCertChainRoutes(
  app: FastifyInstance,
  { auth, tenants, chains }: VerifyCertChainOptions,
) {
  app.post(
    '/tenant/trusted-certificates/verify-cert-chain',
    { preHandler: auth.administrator, config: { resource: RESOURCE } },
    async (request, reply) => {
      const presented = await readChain(request);
      const tenantId = presented.tenantId ?? request.principal!.tenant.id;
      if (!tenants.get(tenantId)) {
        throw new NotFound(RESOURCE, "Tenant Id doesn't exists", { reason: `no tenant ${tenantId}` });
      }
      assertOwnTenant(request.principal, tenantId);
      // The same rules as the token endpoint, with only this tenant's trusted certificates as anchors.
      const verdict = chains.verifyForwarded(presented.chain, tenantId);
      if (!verdict.ok || !verdict.leaf) {
        throw new Unauthorized(UNAUTHORIZED.chain, {
          rule: verdict.rule,
          reason: `verify-cert-chain for tenant ${tenantId}: ${verdict.reason}`,
        });
      }
      return reply.type(MEDIA.json).send({
        successfullyValidated: true,
        tenantId,
        subject: verdict.leaf.subjectRfc2253,
        issuer: verdict.leaf.issuerRfc2253,
      });
    },
  );

  /**
   * The chain from a multipart `file` (PEM, or one DER certificate), which
   * takes precedence, or from X-Cumulocity-Client-Cert-Chain; the tenant from
   * the form field or X-Cumulocity-TenantId.
   */
  async function readChain(request: FastifyRequest): Promise<{ chain: Certificate[]; tenantId?: string }> {
    const headerTenant = request.headers['x-cumulocity-tenantid'];
    let tenantId =
      typeof headerTenant === 'string' && headerTenant.trim() !== '' ? headerTenant.trim() : undefined;
    let ders: Buffer[];
    let limit: number;
    let source: string;
    if (request.isMultipart()) {
      const { file, fields } = await readUpload(request, RESOURCE);
      if (fields.tenantId?.trim()) tenantId = fields.tenantId.trim();
      if (!file || file.length === 0) {
        throw new BadRequest(RESOURCE, 'Send the certificate chain (PEM) in the multipart field "file".');
      }
      const text = file.toString('latin1');
      ders = text.includes('-----BEGIN') ? readable(() => decodeCertificateBlocks(text)) : [file];
      [limit, source] = [MAX_FILE_CHAIN, 'the file'];
    } else {
      const header = request.headers['x-cumulocity-client-cert-chain'];
      if (typeof header !== 'string' || header.trim() === '') {
        throw new BadRequest(
          RESOURCE,
          'Send the certificate chain in the X-Cumulocity-Client-Cert-Chain header (PEM certificates separated by ",") or as a multipart file.',
        );
      }
      ders = readable(() => parseCommaSeparatedChainHeader(header));
      [limit, source] = [MAX_HEADER_CHAIN, 'X-Cumulocity-Client-Cert-Chain'];
    }
    if (ders.length === 0) throw unparsable('no PEM certificate found');
    if (ders.length > limit) {
      throw new BadRequest(
        RESOURCE,
        `${source} holds ${ders.length} certificates; at most ${limit} are supported there${limit === MAX_HEADER_CHAIN ? ` (a file may hold ${MAX_FILE_CHAIN})` : ''}.`,
      );
    }
    const chain = readable(() => chains.reader.chain(ders));
    return { chain, ...(tenantId ? { tenantId } : {}) };
  }
}

const unparsable = (message: string) =>
  new BadRequest(RESOURCE, `Cannot parse X509 certificate. : ${message}`);

function readable<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PemError || error instanceof UnreadableChain) throw unparsable(error.message);
    throw error;
  }
}
