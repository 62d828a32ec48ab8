import type { Credential } from '../../src/pki/certificate-factory.js';
import { device } from './pki.js';
import { basic } from './seeds.js';
import { type ClientResponse, call, type Endpoint, requestToken } from './server.js';

/** A device's token from the mTLS endpoint (its certificate issued by `issuer` now). */
export async function deviceToken(server: Endpoint, issuer: Credential, cn: string, now = Date.now()) {
  const dev = await device(issuer, now, cn);
  const response = await requestToken(server, { cert: dev.certPem, key: dev.keyPem });
  if (response.status !== 200) throw new Error(`token for ${cn}: ${response.status} ${response.text}`);
  return (response.json() as { accessToken: string }).accessToken;
}

export const bearer = (token: string) => `Bearer ${token}`;
export const ADMIN = basic('t100/admin');

export interface DataRequest {
  method?: string;
  path: string;
  /** Authorization header value; none when omitted. */
  auth?: string;
  json?: unknown;
  /** Content-Type of `json` (default application/json). */
  contentType?: string;
  /** Accept header; `null` sends none (the default sends application/json, as @c8y/client does). */
  accept?: string | null;
  headers?: Record<string, string>;
}

/** One request to a device data API, as a REST client sends it. */
export function data(server: Endpoint, request: DataRequest): Promise<ClientResponse> {
  const accept = request.accept === undefined ? 'application/json' : request.accept;
  return call(server, {
    method: request.method ?? 'GET',
    path: request.path,
    headers: {
      ...(accept !== null ? { accept } : {}),
      ...(request.auth ? { authorization: request.auth } : {}),
      ...(request.json !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
      ...request.headers,
    },
    ...(request.json !== undefined ? { body: JSON.stringify(request.json) } : {}),
  });
}

export type Json = Record<string, unknown> & { id?: string; self?: string };

/** The JSON body of a response that must have the given status. */
export function expectJson(response: ClientResponse, status: number): Json {
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status}: ${response.text.slice(0, 300)}`);
  }
  return response.json() as Json;
}

export const vnd = (name: string) => `application/vnd.com.nsn.cumulocity.${name}+json`;

/** A device's managed object, created by the device itself; returns its id. */
export async function createDevice(server: Endpoint, auth: string, name: string, extra: Json = {}) {
  const created = expectJson(
    await data(server, {
      method: 'POST',
      path: '/inventory/managedObjects',
      auth,
      json: { name, type: 'c8y_Test', c8y_IsDevice: {}, ...extra },
      contentType: vnd('managedobject'),
    }),
    201,
  );
  return created.id!;
}

/** The instant data tests run at: certificates, tokens and creation times all use it. */
export const T0 = Date.parse('2026-06-01T12:00:00.000Z');
