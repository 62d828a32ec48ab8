import type { Clock } from '../clock.js';
import {
  certificateSummary,
  type Decision,
  type DecisionDraft,
  type DecisionLog,
} from '../decisions/decision-log.js';
import type { DeviceObjects } from '../device-data/device-objects.js';
import { BadRequest, C8yError, UnprocessableEntity } from '../errors.js';
import type { GroupCommit } from '../group-commit.js';
import type { Certificate } from '../pki/certificate.js';
import { type CertificationRequest, CsrFormatError, decodeCsrBody, readCsr } from '../pki/csr.js';
import { certsOnlyPkcs7 } from '../pki/pkcs7.js';
import type { Store } from '../store/store.js';
import { type DeviceRecord, type Devices, externalIdProblem } from '../tenants/devices.js';
import type { TenantRecord } from '../tenants/tenants.js';
import type { AuthoritySigner, CertificateAuthorities } from './certificate-authorities.js';
import {
  type EnrollmentRegistration,
  type EnrollmentRequestRecord,
  type EnrollmentRequests,
  otpProblem,
} from './enrollment-requests.js';
import { type IssuedCertificates, signLeaf } from './issued-certificates.js';
import { noAuthority, noRequest } from './refusals.js';

const RESOURCE = 'est';
const MIN_RSA_BITS = 2048;

/** A device asking for its first certificate with its ID and one-time password. */
export interface EnrollAttempt {
  tenant: TenantRecord;
  externalId: string;
  otp: string;
  /** The request body as sent: the CSR in one of the forms clients use. */
  body: Buffer;
  remoteAddress?: string | undefined;
}

/** A device that proved who it is (its token) asking for a new certificate. */
export interface ReenrollAttempt {
  tenant: TenantRecord;
  device: DeviceRecord;
  body: Buffer;
  remoteAddress?: string | undefined;
}

export interface Enrolled {
  certificate: Certificate;
  /** The certs-only PKCS#7 (DER) holding the certificate. */
  pkcs7: Buffer;
  decision: Decision;
}

export interface EnrollmentDeps {
  store: Store;
  /** Where an issued certificate is recorded: with the other writes of its turn, one commit. */
  commit: GroupCommit;
  clock: Clock;
  authorities: CertificateAuthorities;
  requests: EnrollmentRequests;
  issued: IssuedCertificates;
  devices: Devices;
  deviceObjects: DeviceObjects;
  decisions: DecisionLog;
  /** Validity of an issued certificate. */
  validityMs: number;
}

/**
 * EST enrollment, as a list of named steps: check who asks (the one-time
 * password, or the token the door checked), check the tenant's CA, read and
 * check the request, sign, remember; every attempt is a decision of the `est`
 * door. Registration for enrollment (a newDeviceRequest with a one-time
 * password) is here too; bulk registration writes its requests itself.
 */
export class Enrollment {
  readonly #deps: EnrollmentDeps;

  constructor(deps: EnrollmentDeps) {
    this.#deps = deps;
  }

  /**
   * Registers a device for enrollment: the device, its managed object and
   * external ID at once (as bulk registration), and its one-time password.
   * A registration of a device whose request is still open is a 422.
   */
  register(tenantId: string, registration: EnrollmentRegistration): EnrollmentRequestRecord {
    const { store, devices, deviceObjects, requests } = this.#deps;
    const invalid = (message: string) =>
      new UnprocessableEntity('devicecontrol/Unprocessable Entity', message);
    const idProblem = externalIdProblem([registration.externalId]);
    if (idProblem) throw invalid(`${idProblem.replace('the leaf certificate CN', 'the id')}.`);
    const problem = otpProblem(registration.otp);
    if (problem) throw invalid(`enrollmentToken: ${problem}.`);
    return store.transaction(() => {
      const open = requests.get(tenantId, registration.externalId);
      if (open && !requests.expired(open)) {
        throw invalid(
          `A newDeviceRequest for ${registration.externalId} exists already; delete it first (DELETE /devicecontrol/newDeviceRequests/${registration.externalId}).`,
        );
      }
      devices.register(tenantId, registration.externalId, 'request');
      deviceObjects.ensure(tenantId, registration.externalId, { type: registration.type });
      return requests.register(tenantId, registration);
    });
  }

  /** POST /.well-known/est/simpleenroll: the one-time password is used up by the certificate. */
  enroll(attempt: EnrollAttempt): Promise<Enrolled> {
    const { tenant, externalId } = attempt;
    return this.#decide(attempt, externalId, async () => {
      const request = this.#deps.requests.check(tenant.id, externalId, attempt.otp);
      const signer = await this.#signer(tenant);
      const csr = await this.#read(attempt.body, externalId);
      return this.#issue(tenant, externalId, csr, signer, 'enroll', () => {
        // Two requests with the same password at once: the first to get here uses it up.
        if (!this.#deps.requests.remove(tenant.id, externalId)) {
          throw noRequest(`the one-time password of '${externalId}' was used while this request was signed`);
        }
        this.#deps.devices.register(tenant.id, externalId, request.source);
      });
    });
  }

  /** POST /.well-known/est/simplereenroll: any key, the same CN; the old certificate stays valid. */
  reenroll(attempt: ReenrollAttempt): Promise<Enrolled> {
    const { tenant, device } = attempt;
    return this.#decide(attempt, device.externalId, async () => {
      const signer = await this.#signer(tenant);
      const csr = await this.#read(attempt.body, device.externalId);
      return this.#issue(tenant, device.externalId, csr, signer, 'reenroll', () => undefined);
    });
  }

  /** Runs the steps and records the decision, whatever happens. */
  async #decide(
    attempt: { tenant: TenantRecord; remoteAddress?: string | undefined },
    externalId: string,
    steps: () => Promise<{ certificate: Certificate; signer: AuthoritySigner }>,
  ): Promise<Enrolled> {
    const draft: DecisionDraft = {
      door: 'est',
      outcome: 'refused',
      status: 500,
      tenantId: attempt.tenant.id,
      externalId,
      remoteAddress: attempt.remoteAddress,
    };
    try {
      const { certificate, signer } = await steps();
      const decision = this.#deps.decisions.record({
        ...draft,
        outcome: 'issued',
        status: 200,
        leaf: certificateSummary(certificate),
        anchor: { name: signer.authority.record.name, fingerprint: signer.authority.record.fingerprint },
      });
      return { certificate, pkcs7: certsOnlyPkcs7([certificate.der]), decision };
    } catch (error) {
      const refusal = error instanceof C8yError;
      this.#deps.decisions.record({
        ...draft,
        status: refusal ? error.status : 500,
        rule: refusal ? error.rule : undefined,
        reason: refusal ? (error.reason ?? error.message) : `internal error: ${(error as Error).message}`,
      });
      throw error;
    }
  }

  /** The tenant's CA, if it can sign a whole certificate's validity now. */
  async #signer(tenant: TenantRecord): Promise<AuthoritySigner> {
    const signer = await this.#deps.authorities.signer(tenant.id);
    if (!signer)
      throw noAuthority(`tenant ${tenant.id} has no certificate authority (POST /certificate-authority)`);
    const { record, certificate } = signer.authority;
    const now = this.#deps.clock.now();
    if (record.status !== 'ENABLED') throw noAuthority(`the CA of tenant ${tenant.id} is DISABLED`);
    if (now < certificate.notBefore || now > certificate.notAfter) {
      throw noAuthority(`the CA of tenant ${tenant.id} is not valid now`);
    }
    if (certificate.notAfter - now < this.#deps.validityMs) {
      throw noAuthority(
        `the CA of tenant ${tenant.id} ends before a certificate issued now would (--issued-certificate-validity); renew it`,
      );
    }
    return signer;
  }

  /** The CSR of the body: readable, signed by its key, named after the device, not asking to be a CA. */
  async #read(body: Buffer, externalId: string): Promise<CertificationRequest> {
    let csr: CertificationRequest;
    try {
      csr = await readCsr(decodeCsrBody(body));
    } catch (error) {
      if (!(error instanceof CsrFormatError)) throw error;
      throw new BadRequest(RESOURCE, `Cannot read the certificate signing request: ${error.message}.`, {
        rule: 'csr',
        reason: error.message,
      });
    }
    const invalid = (rule: string, message: string) =>
      new UnprocessableEntity(`${RESOURCE}/Unprocessable Entity`, message, { rule, reason: message });
    const [cn, ...more] = csr.commonNames;
    if (cn !== externalId || more.length > 0) {
      throw invalid(
        'csr-common-name',
        `The CSR's common name (CN) must be the device ID '${externalId}'; its subject is '${csr.subject}'.`,
      );
    }
    if (csr.requestsCa) throw invalid('csr-ca', 'CSR request with CA:TRUE constraint is not supported.');
    const bits = /^RSA (\d+)$/.exec(csr.keyDescription)?.[1];
    if ((bits !== undefined && Number(bits) < MIN_RSA_BITS) || !/^(RSA|EC) /.test(csr.keyDescription)) {
      throw invalid(
        'csr-key',
        `The CSR's key is ${csr.keyDescription}; use an EC key (P-256, P-384) or RSA with at least ${MIN_RSA_BITS} bits.`,
      );
    }
    return csr;
  }

  /** Signs, and in one transaction remembers the certificate and does what the door's success means. */
  async #issue(
    tenant: TenantRecord,
    externalId: string,
    csr: CertificationRequest,
    signer: AuthoritySigner,
    kind: 'enroll' | 'reenroll',
    onIssued: () => void,
  ): Promise<{ certificate: Certificate; signer: AuthoritySigner }> {
    const { commit, clock, issued, validityMs } = this.#deps;
    const now = clock.now();
    const notBefore = Math.floor(now / 1000) * 1000;
    const serial = issued.nextSerial(tenant.id, now);
    const certificate = await signLeaf({
      request: csr,
      issuer: signer.authority.certificate,
      key: signer.key,
      serial,
      notBefore,
      notAfter: notBefore + validityMs,
    });
    await commit.run(() => {
      onIssued();
      issued.record({
        tenantId: tenant.id,
        serial,
        externalId,
        kind,
        authorityFingerprint: signer.authority.record.fingerprint,
        fingerprint: certificate.fingerprint,
        notBefore: certificate.notBefore,
        notAfter: certificate.notAfter,
        certDer: certificate.der,
      });
    });
    return { certificate, signer };
  }
}
