import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError } from './cli-error.js';
import { CACERT_ENV, DEV_CA_FILE, HOST_ENV } from './defaults.js';
import { readInput } from './inputs.js';

/** Where the base URL came from, for messages that say how to change it. */
export type UrlSource = 'default' | 'env' | 'cli';

/** The server a command talks to: its base URL and where that came from. */
export interface Target {
  url: URL;
  from: UrlSource;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  /** Where the base URL came from (default: given on the command line). */
  from?: UrlSource;
  headers: Record<string, string>;
  body?: string;
  /** PEM: the CAs that issued the server's certificate, and a client certificate for mTLS. */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Long enough for any answer from a server on this machine; short enough that a stuck one ends. */
const TIMEOUT_MS = 30_000;

/**
 * The PEM clients trust for the server: --cacert (or C8Y_MOCK_CACERT), else certs/dev-ca.pem if
 * present, else the system's CAs.
 */
export function serverTrust(cacert: string | undefined): string | undefined {
  if (cacert !== undefined) return readInput(cacert, `CA file (--cacert or ${CACERT_ENV})`).toString('utf8');
  return existsSync(DEV_CA_FILE) ? readInput(DEV_CA_FILE, 'CA file').toString('utf8') : undefined;
}

/** A base URL given by the user (--url, or C8Y_HOST as go-c8y-cli reads it), checked once. */
export function baseUrl(value: string, from: UrlSource = 'cli'): Target {
  const name = from === 'env' ? HOST_ENV : '--url';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${name} '${value}' is not a URL (e.g. https://localhost:8443)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError(`${name} '${value}': use an https:// URL`);
  }
  return { url, from };
}

/** How to point a command elsewhere, and where the address it used came from. */
function whereFrom(from: UrlSource): string {
  const came = from === 'default' ? 'is the default' : `came from ${from === 'env' ? HOST_ENV : '--url'}`;
  return `give the server's URL with --url or ${HOST_ENV}; this one ${came}`;
}

/** The path appended to the base URL's own path (a platform behind a path prefix keeps it). */
export function endpoint(base: URL, path: string): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  return url;
}

/** One request; network and TLS failures become one-line errors that say what to do. */
export function send(options: HttpRequest): Promise<HttpResponse> {
  const request = options.url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      options.url,
      {
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
        },
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.cert ? { cert: options.cert } : {}),
        ...(options.key ? { key: options.key } : {}),
        agent: false,
        timeout: TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', (error) => reject(networkError(options, error)));
      },
    );
    req.on('timeout', () =>
      req.destroy(new CliError(`${options.url.origin} did not answer within ${TIMEOUT_MS / 1000} s`)),
    );
    req.on('error', (error) => reject(error instanceof CliError ? error : networkError(options, error)));
    req.end(options.body);
  });
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

function networkError({ url, from = 'cli' }: HttpRequest, error: Error): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const where = url.origin;
  if (code === 'ECONNREFUSED') {
    return new CliError(
      `cannot connect to ${where}: connection refused (is the server running? ${whereFrom(from)})`,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new CliError(`cannot connect to ${where}: unknown host ${url.hostname} (${whereFrom(from)})`);
  if (code === 'ECONNRESET') return new CliError(`${where} closed the connection (${error.message})`);
  if (UNTRUSTED.has(code)) {
    return new CliError(
      `${where}: the server's certificate is not trusted (${code}); give the CA that issued it with --cacert or ${CACERT_ENV}`,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new CliError(
      `${where}: the server's certificate is not valid for ${url.hostname} (${error.message})`,
    );
  }
  if (code === 'CERT_HAS_EXPIRED') return new CliError(`${where}: the server's certificate has expired`);
  return new CliError(
    `request to ${where} failed: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`,
  );
}

/** `401 security/Unauthorized: Invalid certificate chain!` from a Cumulocity error body, or the status and text. */
export function describeFailure(response: HttpResponse): string {
  try {
    const body = JSON.parse(response.text) as { error?: unknown; message?: unknown };
    if (typeof body.message === 'string' || typeof body.error === 'string') {
      return `${response.status}${typeof body.error === 'string' ? ` ${body.error}` : ''}${
        typeof body.message === 'string' ? `: ${body.message}` : ''
      }`;
    }
  } catch {
    // not JSON: show the start of the text
  }
  const text = response.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `HTTP ${response.status}${text ? `: ${text}` : ''}`;
}
