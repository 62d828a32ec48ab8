import { decodeCertificateBlocks, PemError } from './pem.js';

/**
 * Reads `X-Ssl-Cert-Chain`: PEM certificates whose newlines became spaces,
 * separated by spaces, possibly URL-encoded by a proxy (nginx's
 * `$ssl_client_escaped_cert`). Returns the DER of each certificate in order.
 */
export function parseChainHeader(value: string): Buffer[] {
  let text = value;
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      throw new PemError('invalid URL encoding');
    }
  }
  if (text.trim() === '') return [];
  const certificates = decodeCertificateBlocks(text);
  if (certificates.length === 0) throw new PemError('no PEM certificate found');
  return certificates;
}

/** The one-line header value for a chain: each PEM with its newlines replaced by spaces. */
export function formatChainHeader(pemText: string): string {
  return pemText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}
