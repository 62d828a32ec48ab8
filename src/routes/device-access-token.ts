import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CertificateSummary, Decision, StepSummary } from '../decisions/decision-log.js';
import { BadRequest, C8yError, UNAUTHORIZED, Unauthorized } from '../errors.js';
import { MEDIA } from '../http/media-types.js';
import type { PeerCertificates } from '../http/peer-certificates.js';
import type { Certificate } from '../pki/certificate.js';
import { CertificateFormatError } from '../pki/certificate.js';
import { parseChainHeader } from '../pki/chain-header.js';
import type { ChainVerdict, PresentedChain } from '../pki/chain-verifier.js';
import { PemError } from '../pki/pem.js';
import type { Services } from '../services.js';

export interface DeviceAccessTokenOptions {
  services: Services;
  peerCertificates: PeerCertificates;
}

/** POST /devicecontrol/deviceAccessToken: a device's certificate chain in, a device token out. */
export async function deviceAccessTokenRoutes(
  app: FastifyInstance,
  { services, peerCertificates }: DeviceAccessTokenOptions,
) {
  const { verifier, trust, devices, tenants, options, issuer, decisions, certificates, config, clock } =
    services;

  app.post(
    '/devicecontrol/deviceAccessToken',
    { config: { resource: 'Device Certificates' } },
    async (request, reply) => {
      const decision: Omit<Decision, 'id' | 'time'> = {
        outcome: 'refused',
        status: 401,
        remoteAddress: request.ip,
      };
      try {
        const presented = readPresentedChain(request);
        const verdict = verifier.verify(presented, trust.index(), {
          now: clock.now(),
          isRevoked: (tenantId, certificate) =>
            options.crlOfflineCheck(tenantId) && services.crl.isRevoked(tenantId, certificate.serialHex),
        });
        describeVerdict(decision, verdict, presented);
        if (!verdict.ok || !verdict.leaf || !verdict.anchor) {
          throw new Unauthorized(UNAUTHORIZED.chain, { rule: verdict.rule, reason: verdict.reason });
        }
        const { device, registered } = devices.resolve(verdict.leaf, verdict.anchor);
        decision.externalId = device.externalId;
        const tenant = tenants.get(device.tenantId)!;
        const issued = await issuer.issue(
          { tenantId: tenant.id, domain: tenant.domain, userName: device.userName },
          options.lifespanSeconds(tenant.id),
        );
        Object.assign(decision, {
          outcome: issued.reused ? 'reused' : 'issued',
          status: 200,
          token: {
            hash: issued.record.hash,
            issuedAt: issued.record.issuedAtSeconds,
            expiresAt: issued.record.expiresAtSeconds,
          },
        });
        request.log.info(
          {
            tenant: tenant.id,
            device: device.externalId,
            registered,
            reused: issued.reused,
            expiresAt: issued.record.expiresAtSeconds,
          },
          issued.reused
            ? `token reused for ${device.userName} (asked again before half its lifetime)`
            : `token issued to ${device.userName}${registered ? ' (auto-registered now)' : ''}`,
        );
        return reply.type(MEDIA.json).send({ accessToken: issued.record.jwt });
      } catch (error) {
        if (error instanceof C8yError)
          Object.assign(decision, {
            status: error.status,
            rule: error.rule,
            reason: error.reason ?? error.message,
          });
        throw error;
      } finally {
        decisions.record(decision);
      }
    },
  );

  /** Certificates from the TLS handshake and from X-Ssl-Cert-Chain; an unparsable one is a 400. */
  function readPresentedChain(request: FastifyRequest): PresentedChain {
    // A leaf's key is never needed, and reading a key is costly; an issuer's key must be readable
    // (certificates are cached, so each issuer's key is read once).
    const parse = (ders: Buffer[], leaf: (certificate: Certificate) => boolean): Certificate[] =>
      ders.map((der, position) => {
        const certificate = certificates.get(der);
        return position === 0 && leaf(certificate) ? certificate : certificate.withReadableKey();
      });
    try {
      const tls = parse(peerCertificates(request), () => true);
      const forwarded = tls[0] !== undefined && config.trustedProxies.has(tls[0].fingerprint);
      const headerValue = request.headers['x-ssl-cert-chain'];
      // Without a proxy the header may start with the TLS leaf or with its issuer.
      const header =
        typeof headerValue === 'string'
          ? parse(
              parseChainHeader(headerValue),
              (first) => forwarded || first.fingerprint === tls[0]?.fingerprint,
            )
          : [];
      return { tls, header, forwarded };
    } catch (error) {
      if (error instanceof PemError || error instanceof CertificateFormatError) {
        throw new BadRequest('Device Certificates', `Cannot parse X509 certificate. : ${error.message}`, {
          rule: 'parse',
          reason: `X-Ssl-Cert-Chain: ${error.message}`,
        });
      }
      throw error;
    }
  }
}

function summary(certificate: Certificate): CertificateSummary {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialHex: certificate.serialHex,
    fingerprint: certificate.fingerprint,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}

function describeVerdict(
  decision: Omit<Decision, 'id' | 'time'>,
  verdict: ChainVerdict,
  presented: PresentedChain,
): void {
  const leaf = verdict.leaf ?? verdict.steps[0]?.certificate ?? presented.tls[0] ?? presented.header[0];
  decision.leaf = leaf && summary(leaf);
  decision.externalId = leaf?.commonNames[0];
  decision.tenantId = verdict.anchor?.tenantId;
  decision.anchor = verdict.anchor && {
    name: verdict.anchor.name,
    fingerprint: verdict.anchor.certificate.fingerprint,
  };
  decision.steps = verdict.steps.map(
    (step): StepSummary => ({ role: step.role, certificate: summary(step.certificate), checks: step.checks }),
  );
  decision.chainChecks = verdict.checks;
}
