import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { CertificateAuthorities } from '../enrollment/certificate-authorities.js';
import type { EnrollmentRequests } from '../enrollment/enrollment-requests.js';
import type { IssuedCertificates } from '../enrollment/issued-certificates.js';
import { NotFound } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import { Certificate } from '../pki/certificate.js';
import type { TenantRecord, Tenants } from '../tenants/tenants.js';
import type { UiSessions } from './sessions.js';
import { requireSession } from './ui-auth.js';
import { assertCanAct, describeViewer, visibleTenants } from './viewer.js';
import { type Validity, validityOf } from './views.js';

const RESOURCE = 'dashboard';
/** Issued certificates shown per tenant, newest first. */
export const ISSUED_SHOWN = 50;
const DAY_MS = 86_400_000;

export interface EnrollmentApiOptions {
  clock: Clock;
  tenants: Tenants;
  sessions: UiSessions;
  authorities: CertificateAuthorities;
  enrollmentRequests: EnrollmentRequests;
  issuedCertificates: IssuedCertificates;
}

export interface EnrollmentView {
  id: string;
  domain: string;
  authority: {
    fingerprint: string;
    name: string;
    subject: string;
    status: string;
    autoRegistrationEnabled: boolean;
    notBefore: number;
    notAfter: number;
    validity: Validity;
    daysLeft: number;
  } | null;
  waiting: {
    externalId: string;
    type: string | null;
    owner: string;
    createdAt: number;
    expiresAt: number;
    expired: boolean;
  }[];
  issued: {
    serialHex: string;
    externalId: string;
    kind: 'enroll' | 'reenroll';
    subject: string;
    fingerprint: string;
    notBefore: number;
    notAfter: number;
    validity: Validity;
  }[];
}

/**
 * The dashboard's enrollment view: each visible tenant's CA, the devices
 * waiting to enroll, and the certificates the CA issued; and the trainer's
 * "make the CA" action.
 */
export async function uiEnrollmentRoutes(app: FastifyInstance, options: EnrollmentApiOptions) {
  const { clock, tenants, sessions, authorities, enrollmentRequests, issuedCertificates } = options;
  const route = { config: { resource: RESOURCE }, preHandler: requireSession(sessions, tenants) };

  const view = (tenant: TenantRecord, now: number): EnrollmentView => {
    const authority = authorities.current(tenant.id);
    return {
      id: tenant.id,
      domain: tenant.domain,
      authority: authority
        ? {
            fingerprint: authority.record.fingerprint,
            name: authority.record.name,
            subject: authority.certificate.subject,
            status: authority.record.status,
            autoRegistrationEnabled: authority.record.autoRegistrationEnabled,
            notBefore: authority.certificate.notBefore,
            notAfter: authority.certificate.notAfter,
            validity: validityOf(authority.certificate.notBefore, authority.certificate.notAfter, now),
            daysLeft: Math.floor((authority.certificate.notAfter - now) / DAY_MS),
          }
        : null,
      waiting: enrollmentRequests.list(tenant.id).map((request) => ({
        externalId: request.externalId,
        type: request.type,
        owner: request.owner,
        createdAt: request.createdAt,
        expiresAt: request.expiresAt,
        expired: now >= request.expiresAt,
      })),
      issued: issuedCertificates.list(tenant.id, ISSUED_SHOWN).map((record) => ({
        serialHex: record.serial.toString(16),
        externalId: record.externalId,
        kind: record.kind,
        subject: Certificate.fromDer(record.certDer).subject,
        fingerprint: record.fingerprint,
        notBefore: record.notBefore,
        notAfter: record.notAfter,
        validity: validityOf(record.notBefore, record.notAfter, now),
      })),
    };
  };

  app.get('/_mock/ui/api/enrollment', route, async (request, reply) => {
    const now = clock.now();
    return reply.type(MEDIA.json).send({
      now,
      tenants: visibleTenants(tenants, request.uiSession!.viewer).map((tenant) => view(tenant, now)),
    });
  });

  app.post<{ Params: { tenantId: string } }>(
    '/_mock/ui/api/tenants/:tenantId/certificate-authority',
    route,
    async (request, reply) => {
      const viewer = request.uiSession!.viewer;
      const { tenantId } = request.params;
      assertCanAct(viewer, tenantId);
      const tenant = tenants.get(tenantId);
      if (!tenant) throw new NotFound(RESOURCE, `No tenant ${tenantId}.`);
      const created = await authorities.create(tenant);
      request.log.info(
        `dashboard: ${describeViewer(viewer)} made the certificate authority of ${tenantId} (${created.record.fingerprint})`,
      );
      return reply.status(201).type(MEDIA.json).send(view(tenant, clock.now()));
    },
  );
}
