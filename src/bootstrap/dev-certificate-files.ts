/** File names in the certificates directory; apart so the health check can name the CA without loading PKI code. */
export const FILES = {
  devCa: 'dev-ca.pem',
  devCaKey: 'dev-ca.key',
  server: 'server.pem',
  serverKey: 'server.key',
} as const;
