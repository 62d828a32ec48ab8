import type { Certificate } from '../pki/certificate.js';

/** The server's own certificate and key, PEM. */
export interface ServerCredentials {
  key: string;
  cert: string;
}

/**
 * A TLS CertificateRequest carries the acceptable CA names behind a 16-bit
 * length; past about 64 KiB OpenSSL aborts every handshake ("internal error").
 * Names up to this total are advertised, with room for encoding overhead.
 */
export const MAX_ADVERTISED_NAME_BYTES = 60_000;

export interface TlsContext extends ServerCredentials {
  ca: string[];
  /** Whether the enabled anchors' names fit and were all advertised. */
  complete: boolean;
}

/**
 * The TLS context: the server's credentials, and as acceptable client CAs the
 * ENABLED trusted certificates of all tenants (Java clients pick their
 * certificate from this list). When their names do not fit in one handshake
 * message, none are advertised: clients then offer any certificate, which is
 * what a device of an unlisted CA would need, whereas a partial list would
 * keep some devices from sending theirs. The chain check never relies on
 * OpenSSL's verdict, so the list only guides clients.
 */
export function tlsContext(credentials: ServerCredentials, anchors: readonly Certificate[]): TlsContext {
  // Each name is its DER (subjectKey is hex) plus a 2-byte length.
  const bytes = anchors.reduce((sum, certificate) => sum + certificate.subjectKey.length / 2 + 2, 0);
  const complete = bytes <= MAX_ADVERTISED_NAME_BYTES;
  return { ...credentials, ca: complete ? anchors.map((certificate) => certificate.pem) : [], complete };
}

/** The part of a context `tls.Server#setSecureContext` and the server's constructor take. */
export const secureContextOptions = ({ key, cert, ca }: TlsContext) => ({ key, cert, ca });
