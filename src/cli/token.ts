import { decodeJwt, decodeProtectedHeader } from 'jose';
import { formatChainHeader } from '../pki/chain-header.js';
import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import { baseUrl, describeFailure, endpoint, send, serverTrust, type UrlSource } from './http-client.js';
import { assertKeyMatches, readCertificates, readPrivateKey } from './inputs.js';

export interface TokenOptions {
  url: string;
  /** Where `url` came from (commander's option source); default the command line. */
  urlFrom?: UrlSource;
  cert: string;
  key: string;
  /**
   * Issuers sent in X-Ssl-Cert-Chain; the leaf, if the file has it, is left out. Default: the
   * certificates after the leaf in the certificate file, since the platform takes only the leaf
   * from the handshake.
   */
  chain?: string;
  cacert?: string;
  quiet?: boolean;
}

export interface LogoutOptions {
  url: string;
  urlFrom?: UrlSource;
  token: string;
  cacert?: string;
}

/** POST /devicecontrol/deviceAccessToken over mutual TLS, as a device does. */
export async function token(options: TokenOptions, context: CliContext): Promise<string> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  const certificates = readCertificates(options.cert, 'device certificate');
  const leaf = certificates[0]!;
  const key = readPrivateKey(options.key);
  assertKeyMatches(leaf, key, options.key, options.cert);
  const issuers = (
    options.chain ? readCertificates(options.chain, 'chain file') : certificates.slice(1)
  ).filter((c) => c.fingerprint !== leaf.fingerprint);
  const ca = serverTrust(options.cacert);
  const target = endpoint(url, '/devicecontrol/deviceAccessToken');
  const response = await send({
    method: 'POST',
    url: target,
    from,
    headers: {
      accept: 'application/json',
      ...(issuers.length
        ? { 'x-ssl-cert-chain': formatChainHeader(issuers.map((c) => c.pem).join('')) }
        : {}),
    },
    // The file's certificates as they are: a chain file sends its issuers in the handshake too.
    cert: certificates.map((c) => c.pem).join(''),
    key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    ...(ca ? { ca } : {}),
  });
  if (response.status !== 200) {
    throw new CliError(`no token from ${target.href}: ${describeFailure(response)}`);
  }
  let accessToken: unknown;
  try {
    accessToken = (JSON.parse(response.text) as { accessToken?: unknown }).accessToken;
  } catch {
    // reported below
  }
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new CliError(`${target.href} answered 200 without an accessToken`);
  }
  return printToken(accessToken, options.quiet === true, context);
}

/** Prints a token: alone (--quiet), or with its header, claims, user, tenant and lifetime. */
export function printToken(accessToken: string, quiet: boolean, context: CliContext): string {
  if (quiet) {
    context.print(accessToken);
    return accessToken;
  }
  let header: unknown;
  let claims: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(accessToken);
    claims = decodeJwt(accessToken);
  } catch (error) {
    throw new CliError(`the accessToken is not a JWT (${(error as Error).message})`);
  }
  context.print(`accessToken: ${accessToken}`);
  context.print(`header: ${JSON.stringify(header)}`);
  context.print(`claims: ${JSON.stringify(claims, null, 2)}`);
  const at = (seconds: unknown) =>
    typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : '?';
  const left =
    typeof claims.exp === 'number' ? Math.round(claims.exp - context.clock.now() / 1000) : undefined;
  context.print(
    `user ${String(claims.sub)} of tenant ${String(claims.ten)}; issued ${at(claims.iat)}, expires ${at(claims.exp)}${
      left === undefined ? '' : ` (in ${left} s)`
    }`,
  );
  return accessToken;
}

/** POST /user/logout with the token, as the docs recommend a device ends it. */
export async function logout(options: LogoutOptions, context: CliContext): Promise<void> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  if (!options.token.trim()) throw new CliError('--token is empty');
  const ca = serverTrust(options.cacert);
  const target = endpoint(url, '/user/logout');
  const response = await send({
    method: 'POST',
    url: target,
    from,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: `Bearer ${options.token.trim()}`,
    },
    ...(ca ? { ca } : {}),
  });
  if (response.status !== 200 && response.status !== 204) {
    throw new CliError(`logout at ${target.href} failed: ${describeFailure(response)}`);
  }
  context.print('logged out: the token is no longer accepted');
}
