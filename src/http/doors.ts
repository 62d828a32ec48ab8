/**
 * The platform's two HTTPS doors: `mtls` (8443) asks every client for a certificate and serves the
 * token endpoint (and, unless told otherwise, everything else); `api` (443) is server-side TLS
 * only and serves every API but takes no client certificate, so the token endpoint there finds none.
 */
export type HttpDoor = 'mtls' | 'api';

/** What the mTLS door serves: everything (one-port setups) or the token endpoint alone (the strict layout). */
export type MtlsServes = 'all' | 'token';
export const MTLS_SERVES: readonly MtlsServes[] = ['all', 'token'];
