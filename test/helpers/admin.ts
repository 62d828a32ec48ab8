import type { Test } from 'tap';
import { basic } from './seeds.js';
import { type ClientResponse, call, type Endpoint, ERROR_TYPE, INFO } from './server.js';

export { ADMIN_PASSWORD, adminSeed, basic, type TenantSpec } from './seeds.js';

export interface AdminRequest {
  method?: string;
  path: string;
  /** Authorization header; default Basic t100/admin, `null` sends none. */
  auth?: string | null;
  /** Sent as JSON with the given content type (default application/json). */
  json?: unknown;
  contentType?: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  host?: string;
}

/** One HTTPS request to an administration API, as a REST client sends it. */
export function admin(server: Endpoint, request: AdminRequest): Promise<ClientResponse> {
  const auth = request.auth === undefined ? basic('t100/admin') : request.auth;
  const body = request.json !== undefined ? JSON.stringify(request.json) : request.body;
  return call(server, {
    method: request.method ?? 'GET',
    path: request.path,
    ...(request.host ? { host: request.host } : {}),
    headers: {
      accept: 'application/json',
      ...(auth ? { authorization: auth } : {}),
      ...(request.json !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
      ...(request.contentType && request.json === undefined ? { 'content-type': request.contentType } : {}),
      ...request.headers,
    },
    ...(body !== undefined ? { body } : {}),
  });
}

export type FormPart = string | { content: string | Buffer; filename?: string; type?: string };

/** A multipart/form-data body, encoded by the platform's own FormData (undici). */
export async function multipart(
  parts: Record<string, FormPart>,
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, part] of Object.entries(parts)) {
    if (typeof part === 'string') form.append(name, part);
    else
      form.append(
        name,
        new Blob([new Uint8Array(Buffer.from(part.content))], { type: part.type ?? 'text/plain' }),
        part.filename ?? 'upload',
      );
  }
  const request = new Request('https://localhost/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

/** Status, the error media type and the exact Cumulocity error body. */
export function assertError(
  t: Test,
  response: ClientResponse,
  status: number,
  error: string,
  message: string | RegExp,
): void {
  t.equal(response.status, status, `status ${status}`);
  t.match(
    String(response.headers['content-type']),
    /^application\/vnd\.com\.nsn\.cumulocity\.error\+json/,
    'error content type',
  );
  let body: { error?: string; message?: string; info?: string } = {};
  try {
    body = response.json() as typeof body;
  } catch {
    t.fail(`error body is not JSON: ${response.text.slice(0, 200)}`);
  }
  t.same(Object.keys(body).sort(), ['error', 'info', 'message'], 'error body fields');
  t.equal(body.error, error, 'error type');
  if (typeof message === 'string') t.equal(body.message, message, 'message');
  else t.match(body.message, message, 'message');
  t.equal(body.info, INFO, 'info');
}

export { ERROR_TYPE };
