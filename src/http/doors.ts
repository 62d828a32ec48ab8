/**
 * The platform's two HTTPS doors: `mtls` (8443) asks every client for a certificate and serves the
 * token endpoint (and, unless told otherwise, everything else); `api` (443) is server-side TLS
 * only and serves every API but takes no client certificate, so the token endpoint there finds none.
 */
export type HttpDoor = 'mtls' | 'api';

/** What the mTLS door serves: everything (one-port setups) or the token endpoint alone (the strict layout). */
export type MtlsServes = 'all' | 'token';
export const MTLS_SERVES: readonly MtlsServes[] = ['all', 'token'];

/** What the mTLS door's 404 adds when it serves the token endpoint alone: where the rest went. */
export const TOKEN_ONLY_HINT =
  'This door serves only the token endpoint (--mtls-serves token); the APIs, the control API and the dashboard are on the API door (--api-port).';
