import type { Clock } from '../clock.js';
import type { Certificate } from '../pki/certificate.js';
import type { ChainVerdict, ChainVerifier, PresentedChain } from '../pki/chain-verifier.js';
import type { RevocationLists } from '../tenants/crl.js';
import type { TenantOptions } from '../tenants/tenant-options.js';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';
import type { CertificateReader } from './certificate-reader.js';

export interface ChainCheckDeps {
  reader: CertificateReader;
  verifier: ChainVerifier;
  trust: TrustRegistry;
  crl: RevocationLists;
  options: TenantOptions;
  clock: Clock;
}

/**
 * The chain rules of a device login, with the anchors of every tenant (a
 * device's login) or of one (verify-cert-chain, a tenant administrator's
 * check in the dashboard): the same verifier, rules and words everywhere.
 */
export class ChainCheck {
  readonly #deps: ChainCheckDeps;

  constructor(deps: ChainCheckDeps) {
    this.#deps = deps;
  }

  get reader(): CertificateReader {
    return this.#deps.reader;
  }

  /** The leaf's signatures checked off the main thread ahead of `verify` (see ChainVerifier.prepare). */
  prepare(presented: PresentedChain, tenantId?: string): Promise<void> | undefined {
    return this.#deps.verifier.prepare(presented, this.#deps.trust.index(tenantId));
  }

  verify(presented: PresentedChain, tenantId?: string): ChainVerdict {
    const { verifier, trust, clock, options, crl } = this.#deps;
    // The tenant's option is read once per check, not once per certificate of the path.
    let offline: { tenantId: string; on: boolean } | undefined;
    return verifier.verify(presented, trust.index(tenantId), {
      now: clock.now(),
      isRevoked: (anchorTenant, certificate) => {
        if (offline?.tenantId !== anchorTenant) {
          offline = { tenantId: anchorTenant, on: options.crlOfflineCheck(anchorTenant) };
        }
        return offline.on && crl.isRevoked(anchorTenant, certificate.serialHex);
      },
    });
  }

  /** A chain handed over whole, leaf first, as a trusted proxy forwards it (nothing from TLS). */
  verifyForwarded(chain: Certificate[], tenantId?: string): ChainVerdict {
    return this.verify({ tls: [], header: chain, forwarded: true }, tenantId);
  }

  /** Whether a certificate is itself a trusted certificate of some tenant (whatever its status). */
  isTrusted(certificate: Certificate): boolean {
    return this.#deps.trust.index().bySha256(certificate.sha256) !== undefined;
  }
}
