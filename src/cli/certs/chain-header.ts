import { formatChainHeader } from '../../pki/chain-header.js';
import type { CliContext } from '../context.js';
import { readCertificates } from '../inputs.js';

/**
 * The one-line X-Ssl-Cert-Chain value for the certificates of a file, in the
 * file's order. Other PEM blocks (a key in the same file) are never printed.
 */
export function certsChainHeader(file: string, context: CliContext): string {
  const certificates = readCertificates(file, 'chain file');
  const value = formatChainHeader(certificates.map((c) => c.pem).join(''));
  context.print(value);
  return value;
}
