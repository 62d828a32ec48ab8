import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import { baseUrl, describeFailure, endpoint, send, serverTrust, type UrlSource } from './http-client.js';
import { readCertificates } from './inputs.js';

export interface UploadOptions {
  url: string;
  /** Where `url` came from (commander's option source); default the command line. */
  urlFrom?: UrlSource;
  tenant: string;
  user: string;
  password: string;
  cert: string;
  name?: string;
  status?: 'ENABLED' | 'DISABLED';
  autoRegistration?: boolean;
  cacert?: string;
}

/** What the trusted-certificates API answers (the fields the command reports). */
interface TrustedCertificate {
  name?: string;
  fingerprint?: string;
  serialNumber?: string;
  subject?: string;
  status?: string;
  autoRegistrationEnabled?: boolean;
}

/**
 * POST /tenant/tenants/{tenantId}/trusted-certificates with HTTP Basic
 * `<tenantId>/<user>`: the body is the platform's, the certificate as one line
 * of base64 DER (what the platform returns and what go-c8y sends).
 */
export async function upload(options: UploadOptions, context: CliContext): Promise<TrustedCertificate> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  const certificates = readCertificates(options.cert, 'CA certificate');
  if (certificates.length > 1) {
    throw new CliError(
      `${options.cert} holds ${certificates.length} certificates; upload one CA certificate (the trust anchor) at a time`,
    );
  }
  const certificate = certificates[0]!;
  if (!options.tenant) throw new CliError('give the tenant with --tenant (or C8Y_TENANT)');
  if (!options.user || !options.password) {
    throw new CliError('give the credentials with --user and --password (or C8Y_USER and C8Y_PASSWORD)');
  }
  const login = options.user.includes('/') ? options.user : `${options.tenant}/${options.user}`;
  const target = endpoint(url, `/tenant/tenants/${encodeURIComponent(options.tenant)}/trusted-certificates`);
  const body = {
    name: options.name ?? certificate.commonNames[0] ?? certificate.subject,
    certInPemFormat: certificate.base64,
    status: options.status ?? 'ENABLED',
    autoRegistrationEnabled: options.autoRegistration ?? true,
  };
  const ca = serverTrust(options.cacert);
  const response = await send({
    method: 'POST',
    url: target,
    from,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${login}:${options.password}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
    ...(ca ? { ca } : {}),
  });
  if (response.status !== 201 && response.status !== 200) {
    throw new CliError(`upload to ${target.href} failed: ${describeFailure(response)}`);
  }
  let stored: TrustedCertificate = {};
  try {
    stored = JSON.parse(response.text) as TrustedCertificate;
  } catch {
    // An empty answer (no Accept honoured): report what was sent.
  }
  const result = {
    name: stored.name ?? body.name,
    fingerprint: stored.fingerprint ?? certificate.fingerprint,
    serialNumber: stored.serialNumber ?? certificate.serialDecimal,
    subject: stored.subject ?? certificate.subject,
    status: stored.status ?? body.status,
    autoRegistrationEnabled: stored.autoRegistrationEnabled ?? body.autoRegistrationEnabled,
  };
  context.print(`uploaded '${result.name}' to tenant ${options.tenant} at ${url.origin}`);
  context.print(`  subject:                 ${result.subject}`);
  context.print(`  fingerprint:             ${result.fingerprint}`);
  context.print(`  serialNumber:            ${result.serialNumber}`);
  context.print(`  status:                  ${result.status}`);
  context.print(`  autoRegistrationEnabled: ${result.autoRegistrationEnabled}`);
  return result;
}
