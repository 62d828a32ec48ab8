import type { Server } from 'node:tls';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';
import { type ServerCredentials, secureContextOptions, tlsContext } from './tls-context.js';

/** Where a listener says that its CA list had to be dropped. */
export interface TrustLog {
  warn(message: string): void;
}

/**
 * Keeps a TLS listener's context on the trust registry: its credentials, and
 * as acceptable client CAs the ENABLED trusted certificates of all tenants.
 * Sets the context now (a seed applied before the first handshake reaches it)
 * and after every change; returns the unsubscribe. Any `tls.Server` (HTTPS,
 * MQTT over TLS) follows the registry with this one call.
 */
export function followTrust(
  server: Server,
  credentials: ServerCredentials,
  trust: TrustRegistry,
  log: TrustLog,
): () => void {
  const apply = (index: ReturnType<TrustRegistry['index']>) => {
    const context = tlsContext(credentials, index.enabledCertificates());
    if (!context.complete) {
      log.warn(
        `the names of ${index.size} trusted certificates do not fit in a TLS handshake (about 64 KiB); no acceptable CAs are advertised, so clients send any certificate`,
      );
    }
    server.setSecureContext(secureContextOptions(context));
  };
  apply(trust.index());
  return trust.onChange(apply);
}
