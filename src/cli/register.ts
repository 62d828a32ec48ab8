import { randomBytes } from 'node:crypto';
import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import {
  baseUrl,
  describeFailure,
  endpoint,
  type HttpResponse,
  send,
  serverTrust,
  type UrlSource,
} from './http-client.js';

export interface RegisterOptions {
  url: string;
  /** Where --url came from, which a connection error names (default: the command line). */
  urlFrom?: UrlSource;
  cacert?: string;
  tenant: string;
  user: string;
  password: string;
  id: string[];
  /** One password for every --id; default a new random one per device. */
  otp?: string;
  type?: string;
  /** Make the tenant CA first when there is none (default). */
  ca?: boolean;
}

export interface Registration {
  id: string;
  otp: string;
}

/**
 * The administrator's side of enrollment: the tenant CA (POST
 * /certificate-authority; a 409 means it exists, as go-c8y reads it), then
 * each device with a one-time password (POST /devicecontrol/newDeviceRequests
 * with enrollmentToken). Prints the passwords and the device's next command.
 */
export async function register(options: RegisterOptions, context: CliContext): Promise<Registration[]> {
  const { url, from } = baseUrl(options.url, options.urlFrom);
  if (!options.tenant) throw new CliError('give the tenant with --tenant (or C8Y_TENANT)');
  if (!options.user || !options.password) {
    throw new CliError('give the credentials with --user and --password (or C8Y_USER and C8Y_PASSWORD)');
  }
  const ids = options.id.map((id) => id.trim()).filter(Boolean);
  if (ids.length === 0) throw new CliError('give at least one device with --id');
  const login = options.user.includes('/') ? options.user : `${options.tenant}/${options.user}`;
  const authorization = `Basic ${Buffer.from(`${login}:${options.password}`).toString('base64')}`;
  const ca = serverTrust(options.cacert);
  const post = (path: string, body: unknown, type = 'application/json'): Promise<HttpResponse> =>
    send({
      method: 'POST',
      url: endpoint(url, path),
      from,
      headers: { accept: type, 'content-type': type, authorization },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(ca ? { ca } : {}),
    });

  if (options.ca !== false) {
    const response = await post('/certificate-authority', undefined);
    if (response.status === 201) {
      const created = JSON.parse(response.text) as { subject?: string; fingerprint?: string };
      context.print(`created the tenant CA '${created.subject}' (fingerprint ${created.fingerprint})`);
    } else if (response.status === 409) {
      context.print('the tenant CA exists already');
    } else {
      throw new CliError(
        `creating the tenant CA at ${endpoint(url, '/certificate-authority').href} failed: ${describeFailure(response)}`,
      );
    }
  }

  const registered: Registration[] = [];
  for (const id of ids) {
    const otp = options.otp ?? randomBytes(12).toString('hex');
    const response = await post(
      '/devicecontrol/newDeviceRequests',
      { id, enrollmentToken: otp, ...(options.type ? { type: options.type } : {}) },
      'application/vnd.com.nsn.cumulocity.newdevicerequest+json',
    );
    if (response.status !== 201) {
      throw new CliError(`registering ${id} failed: ${describeFailure(response)}`);
    }
    registered.push({ id, otp });
    context.print(`registered ${id} for enrollment, one-time password ${otp}`);
  }
  const first = registered[0]!;
  context.print(
    `next, on the device: c8y-mtls-mock enroll --url ${url.href.replace(/\/$/, '')} --id ${first.id} --otp ${first.otp}`,
  );
  return registered;
}
