import { sign } from 'node:crypto';
import { CliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { assertKeyMatches, readCertificates, readPrivateKey } from '../inputs.js';

export interface PopOptions {
  code: string;
  key: string;
  /** The trusted certificate the code was issued for: its key must be --key. */
  cert?: string;
}

/**
 * The proof-of-possession value, as the docs make it with
 * `openssl dgst -sha256 -sign key code.txt | openssl base64 -A`: SHA-256 over the
 * code's UTF-8 bytes, RSA PKCS#1 v1.5 or DER-encoded ECDSA, base64 on one line.
 */
export function certsPop(options: PopOptions, context: CliContext): string {
  if (options.code === '')
    throw new CliError('--code is empty: give the verification code the platform issued');
  const key = readPrivateKey(options.key);
  if (options.cert) {
    const [certificate] = readCertificates(options.cert, 'certificate');
    assertKeyMatches(certificate!, key, options.key, options.cert);
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw new CliError(
      `${options.key}: a ${key.asymmetricKeyType} key cannot sign a proof of possession; use RSA or EC`,
    );
  }
  const signature = sign('sha256', Buffer.from(options.code, 'utf8'), key).toString('base64');
  context.print(signature);
  return signature;
}
