import { request as httpsRequest } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../../src/app.js';
import { type Config, resolveConfig } from '../../src/config.js';
import { MqttDoor } from '../../src/mqtt/door.js';
import {
  type Credential,
  commonName,
  createRootCa,
  createServerCertificate,
  exportPrivateKeyPem,
} from '../../src/pki/certificate-factory.js';
import { parseSeed, type Seed } from '../../src/seed/seed.js';
import { createServices } from '../../src/services.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { TestClock } from './clock.js';
import { DAY } from './pki.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestServer {
  app: FastifyInstance;
  clock: TestClock;
  store: Store;
  config: Config;
  port: number;
  /** The MQTT door's port (with `mqtt: true`), else 0. */
  mqttPort: number;
  mqtt?: MqttDoor | undefined;
  /** PEM of the CA that issued the server certificate: what clients trust. */
  serverCa: string;
  origin: string;
  /** Closes the server and its store now (teardown would do it at the end). */
  stop(): Promise<void>;
}

export interface StartOptions {
  seed?: Seed;
  config?: Parameters<typeof resolveConfig>[0];
  clock?: TestClock;
  store?: Store;
  /** Only build (for app.inject); no TLS, no port. */
  listen?: boolean;
  peerCertificates?: BuildOptions['peerCertificates'];
  /** Also open the MQTT door on 127.0.0.1 and an ephemeral port. */
  mqtt?: boolean;
}

let serverIdentity: Promise<{ ca: Credential; key: string; cert: string }> | undefined;

/** One server identity for the whole test process: making it is not what tests test. */
function identity() {
  serverIdentity ??= (async () => {
    const now = Date.now();
    const ca = await createRootCa({
      subject: commonName('test server CA'),
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
    });
    const server = await createServerCertificate({
      issuer: ca,
      subject: commonName('localhost'),
      names: ['localhost', '127.0.0.1', 't100.example.test', 't200.example.test'],
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
    });
    return { ca, key: await exportPrivateKeyPem(server.keys.privateKey), cert: server.certificate.pem };
  })();
  return serverIdentity;
}

/**
 * Starts the real application: HTTPS with client certificates on 127.0.0.1
 * and an ephemeral port, an in-memory store, the given seed. Closed at teardown.
 */
export async function startServer(t: Teardown, options: StartOptions = {}): Promise<TestServer> {
  const clock = options.clock ?? new TestClock(Date.now());
  const store = options.store ?? new SqliteStore();
  const config: Config = resolveConfig({ adminSecret: ADMIN_SECRET, ...options.config });
  const { ca, key, cert } = await identity();
  const listen = options.listen !== false;
  const seed = options.seed;
  const services = await createServices({
    config,
    clock,
    store,
    ...(seed ? { seed: { source: 'test seed', load: () => parseSeed(seed, 'test seed') } } : {}),
  });
  const app = await buildApp({
    services,
    limits: config.limits,
    responseBody: config.responseBody,
    ...(listen ? { tls: { key, cert } } : {}),
    ...(options.peerCertificates ? { peerCertificates: options.peerCertificates } : {}),
  });
  const mqtt = options.mqtt
    ? await MqttDoor.create(
        {
          ...app.services,
          sessions: app.services.mqttSessions,
          log: app.log as unknown as import('pino').Logger,
        },
        {
          credentials: { key, cert },
          connectTimeoutMs: config.limits.headersTimeoutMs,
          maxConnections: config.limits.maxConnections,
          earlySubscribe: config.mqttSubscribeBeforeDevice,
        },
      )
    : undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await mqtt?.close();
    await app.close();
    store.close();
  };
  t.teardown(stop);
  await app.services.state.initialize();
  let port = 0;
  if (listen) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  } else {
    await app.ready();
  }
  let mqttPort = 0;
  if (mqtt) {
    await new Promise<void>((resolve) => mqtt.server.listen(0, '127.0.0.1', resolve));
    mqttPort = (mqtt.server.address() as import('node:net').AddressInfo).port;
  }
  return {
    app,
    clock,
    store,
    config,
    port,
    mqttPort,
    mqtt,
    serverCa: ca.certificate.pem,
    origin: `https://localhost:${port}`,
    stop,
  };
}

/** Where a client connects: an in-process test server or a server process. */
export type Endpoint = Pick<TestServer, 'port' | 'serverCa'>;

export interface ClientOptions {
  method?: string;
  path: string;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Host header / SNI name; defaults to localhost. */
  host?: string;
  /** OpenSSL cipher string; `DEFAULT@SECLEVEL=0` lets the client present weak certificates (MD5, SHA-1). */
  ciphers?: string;
}

export interface ClientResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as received (binary answers such as a DER CRL). */
  raw: Buffer;
  json: () => unknown;
}

/** One HTTPS request over a fresh connection, with an optional client certificate. */
export function call(server: Endpoint, options: ClientOptions): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        method: options.method ?? 'GET',
        path: options.path,
        ca: server.serverCa,
        ...(options.cert ? { cert: options.cert } : {}),
        ...(options.key ? { key: options.key } : {}),
        ...(options.ciphers ? { ciphers: options.ciphers } : {}),
        headers: {
          ...(options.host ? { host: options.host } : { host: `localhost:${server.port}` }),
          ...options.headers,
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            raw,
            json: () => JSON.parse(text),
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** POST /devicecontrol/deviceAccessToken as the docs' curl does it. */
export function requestToken(
  server: Endpoint,
  client: {
    cert?: string;
    key?: string;
    chainHeader?: string;
    headers?: Record<string, string>;
    ciphers?: string;
  },
) {
  return call(server, {
    method: 'POST',
    path: '/devicecontrol/deviceAccessToken',
    ...(client.cert ? { cert: client.cert } : {}),
    ...(client.key ? { key: client.key } : {}),
    ...(client.ciphers ? { ciphers: client.ciphers } : {}),
    headers: {
      accept: 'application/json',
      ...(client.chainHeader !== undefined ? { 'x-ssl-cert-chain': client.chainHeader } : {}),
      ...client.headers,
    },
  });
}

/** The control API secret of test servers. */
export const ADMIN_SECRET = 'test-admin-secret';

export const ERROR_TYPE = 'application/vnd.com.nsn.cumulocity.error+json';
export const INFO = 'https://www.cumulocity.com/guides/reference-guide/#error_reporting';
