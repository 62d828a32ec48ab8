import { decodeCertificateBlocks, PemError } from './pem.js';

/**
 * Reads `X-Ssl-Cert-Chain`: PEM certificates whose newlines became spaces,
 * separated by spaces, possibly URL-encoded by a proxy (nginx's
 * `$ssl_client_escaped_cert`). Returns the DER of each certificate in order.
 */
export function parseChainHeader(value: string): Buffer[] {
  const text = urlDecoded(value);
  if (text.trim() === '') return [];
  const certificates = decodeCertificateBlocks(text);
  if (certificates.length === 0) throw new PemError('no PEM certificate found');
  return certificates;
}

/**
 * Reads `X-Cumulocity-Client-Cert-Chain` (verify-cert-chain): the same PEM
 * blocks, but separated by commas. Spaces between blocks are tolerated too.
 */
export function parseCommaSeparatedChainHeader(value: string): Buffer[] {
  const parts = urlDecoded(value)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw new PemError('no PEM certificate found');
  return parts.flatMap((part) => {
    const certificates = decodeCertificateBlocks(part);
    if (certificates.length === 0) throw new PemError('no PEM certificate found between two commas');
    return certificates;
  });
}

function urlDecoded(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new PemError('invalid URL encoding');
  }
}

/** The one-line header value for a chain: each PEM with its newlines replaced by spaces. */
export function formatChainHeader(pemText: string): string {
  return pemText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}
