import type { webcrypto } from 'node:crypto';
import { Certificate } from '../../src/pki/certificate.js';
import { exportPrivateKeyPem, generateKeyPair, type KeySpec } from '../../src/pki/certificate-factory.js';
import { createCsr } from '../../src/pki/csr.js';
import { toPem } from '../../src/pki/pem.js';
import { readCertsOnlyPkcs7 } from '../../src/pki/pkcs7.js';
import type { x509 } from '../../src/pki/x509.js';
import type { Seed } from '../../src/seed/seed.js';
import { TEST_NOW, TestClock } from './clock.js';
import { ADMIN_PASSWORD, adminSeed, basic } from './seeds.js';
import type { ClientResponse, StartOptions, TestServer } from './server.js';
import { call, startServer } from './server.js';

/*
 * EST and the tenant CA through `app.inject`: no socket, the clock fixed. A client certificate
 * reaches the app through the certificate seam as a handshake would give it
 * (helpers/handshake.ts: the certificate, then its issuers among the trusted certificates).
 */

/** The instant EST tests happen at: the suite's TEST_NOW, with milliseconds, as serials show them. */
export const EST_NOW = TEST_NOW + 123;

/** t100 on t100.example.test and t200, each with an administrator; no trusted certificates. */
export const estSeed = (): Seed => adminSeed([{ id: 't100' }, { id: 't200' }]);

export type Teardown = Parameters<typeof startServer>[0];

export function estServer(t: Teardown, options: Omit<StartOptions, 'listen'> = {}): Promise<TestServer> {
  return startServer(t, { seed: estSeed(), clock: new TestClock(EST_NOW), ...options });
}

export interface Request {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Host header; default the tenant t100's domain. */
  host?: string;
  /** The certificates the client presents in the handshake (DER, leaf first). */
  clientCertificate?: readonly Buffer[];
}

export function inject(server: TestServer, request: Request): Promise<ClientResponse> {
  return call(server, {
    method: request.method ?? 'GET',
    path: request.url,
    host: request.host ?? 't100.example.test',
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(request.clientCertificate
      ? { cert: request.clientCertificate.map((der) => toPem('CERTIFICATE', der)).join('') }
      : {}),
  });
}

/** Basic credentials of t100's administrator. */
export const ADMIN = basic('t100/admin', ADMIN_PASSWORD);

/** An administrator's JSON request. */
export const asAdmin = (
  server: TestServer,
  method: Request['method'],
  url: string,
  json?: unknown,
  auth = ADMIN,
): Promise<ClientResponse> =>
  inject(server, {
    method,
    url,
    headers: {
      accept: 'application/json',
      authorization: auth,
      ...(json !== undefined || method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });

/** A device's key pair and its CSR (DER). */
export interface DeviceRequest {
  keys: webcrypto.CryptoKeyPair;
  keyPem: string;
  der: Buffer;
}

export async function deviceCsr(
  subject: string | x509.JsonName,
  options: { keySpec?: KeySpec; requestCa?: boolean; keys?: webcrypto.CryptoKeyPair } = {},
): Promise<DeviceRequest> {
  const keys = options.keys ?? (await generateKeyPair(options.keySpec));
  const der = await createCsr(subject, keys as CryptoKeyPair, { requestCa: options.requestCa });
  return { keys, keyPem: await exportPrivateKeyPem(keys.privateKey), der };
}

/** The request forms real clients send (reference part 2, B4). */
export const forms = {
  /** go-c8y: one line of base64 DER, with Content-Transfer-Encoding: base64. */
  goC8y: (der: Buffer) => ({
    headers: { 'content-type': 'application/pkcs10', 'content-transfer-encoding': 'base64' },
    body: der.toString('base64'),
  }),
  /** thin-edge: the PEM body without its BEGIN/END lines, with newlines; no Content-Transfer-Encoding. */
  tedge: (der: Buffer) => ({
    headers: { 'content-type': 'application/pkcs10' },
    body: `${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n`,
  }),
};

export function enroll(
  server: TestServer,
  id: string,
  otp: string,
  der: Buffer,
  form: keyof typeof forms = 'goC8y',
  extra: Partial<Request> = {},
): Promise<ClientResponse> {
  const { headers, body } = forms[form](der);
  return inject(server, {
    method: 'POST',
    url: '/.well-known/est/simpleenroll',
    headers: { authorization: basic(id, otp), ...headers, ...extra.headers },
    body,
    ...(extra.host ? { host: extra.host } : {}),
  });
}

/**
 * The certificates of an EST answer, read as each client reads it: go-c8y
 * base64-decodes only when Content-Transfer-Encoding says base64; tedge
 * strips CR and LF and base64-decodes.
 */
export async function answerCertificates(
  response: ClientResponse,
  client: 'goC8y' | 'tedge' = 'goC8y',
): Promise<Certificate[]> {
  let der: Buffer;
  if (client === 'goC8y') {
    der =
      String(response.headers['content-transfer-encoding']).toLowerCase() === 'base64'
        ? Buffer.from(response.text, 'base64')
        : response.raw;
  } else {
    der = Buffer.from(response.text.replace(/[\r\n]/g, ''), 'base64');
  }
  return (await readCertsOnlyPkcs7(der)).map((c) => Certificate.fromDer(c));
}

/** Registers devices for enrollment with a TAB-separated file, as go-c8y-cli and c8y-test-core send it. */
export async function registerWithOtp(server: TestServer, rows: [id: string, otp: string][]) {
  const csv = ['ID\tAUTH_TYPE\tENROLLMENT_OTP\tTYPE\tcom_cumulocity_model_Agent.active']
    .concat(rows.map(([id, otp]) => `${id}\tCERTIFICATES\t${otp}\tc8y_Device\ttrue`))
    .join('\n');
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'devices.csv');
  const request = new Request('https://localhost/', { method: 'POST', body: form });
  return inject(server, {
    method: 'POST',
    url: '/devicecontrol/bulkNewDeviceRequests',
    headers: {
      accept: 'application/json',
      authorization: ADMIN,
      'content-type': request.headers.get('content-type')!,
    },
    body: Buffer.from(await request.arrayBuffer()),
  });
}
