import { CertificateCache } from '../pki/certificate-cache.js';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';

/** Who asks, as far as a fault rule's scope needs it. */
export interface Party {
  tenantId?: string | undefined;
  externalId?: string | undefined;
}

// Parsed only when a rule is scoped to a tenant or device, and a fault is injected.
const certificates = new CertificateCache(1000);

/**
 * The device a client certificate chain names (the leaf's CN) and the tenant that trusts one of
 * its issuers; nothing is checked: only a fault rule's scope depends on it, the login decides.
 */
export function partyOfChain(chain: readonly Buffer[], trust: TrustRegistry): Party {
  try {
    const parsed = chain.map((der) => certificates.get(der));
    const index = trust.index();
    let tenantId: string | undefined;
    for (const certificate of parsed) tenantId ??= index.issuersOf(certificate)[0]?.tenantId;
    return { tenantId, externalId: parsed[0]?.commonNames[0] };
  } catch {
    // A certificate that does not parse: the login refuses it; it has no scope here.
    return {};
  }
}
