import { createPublicKey } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { calculateJwkThumbprint } from 'jose';
import { type BuildOptions, buildApp } from '../../src/app.js';
import { type Config, resolveConfig } from '../../src/config.js';
import type { MqttDoor } from '../../src/mqtt/door.js';
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
import type { SigningKeyRecord, Store } from '../../src/store/store.js';
import { tlsContext } from '../../src/tls/tls-context.js';
import { TEST_NOW, TestClock } from './clock.js';
import { handshakeChain, injectedPeerCertificates, PEER_HEADER, peerHeaderValue } from './handshake.js';
import { rsaPem } from './keys.js';
import { httpsContext } from './tls-client.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface TestServer {
  app: FastifyInstance;
  clock: TestClock;
  store: Store;
  config: Config;
  /**
   * 'inject': requests go through `app.inject`, client certificates through the seam, as a
   * handshake would give them (helpers/handshake.ts); 'tls': a real HTTPS listener.
   */
  transport: 'inject' | 'tls';
  /** The listener's port; for an injected server the port its Host header names (nothing listens). */
  port: number;
  /** The MQTT door's port (with `mqtt: true`), else 0. */
  mqttPort: number;
  mqtt?: MqttDoor | undefined;
  /** The API door (with `apiDoor: true`): its app and port, as an endpoint for `call`. */
  api?: Endpoint & { app: FastifyInstance; port: number; origin: string };
  /** PEM of the CA that issued the server certificate: what clients trust. */
  serverCa: string;
  origin: string;
  /** Closes the server and its store now (teardown would do it at the end). */
  stop(): Promise<void>;
}

export interface StartOptions {
  seed?: Seed;
  config?: Parameters<typeof resolveConfig>[0];
  /** Default: a TestClock at its fixed instant. */
  clock?: TestClock;
  store?: Store;
  /**
   * Listen on 127.0.0.1 with HTTPS and client certificates, for what only a socket shows (the
   * handshake, limits, shutdown, the CA names, clients that open their own connections).
   * Default: no socket; `call` and the other helpers go through `app.inject`.
   */
  listen?: boolean;
  peerCertificates?: BuildOptions['peerCertificates'];
  /** A token signing key made at start, as the mock makes one for a new store, instead of the fixture's. */
  ownSigningKey?: boolean;
  /** The app's logger (default: none). */
  logger?: BuildOptions['logger'];
  /** Also open the MQTT door on 127.0.0.1 and an ephemeral port. */
  mqtt?: boolean;
  /** Also build the API door (no client certificates) over the same services: listening when `listen` is. */
  apiDoor?: boolean;
}

/** The cheapest scrypt: the same hashing and checks, without the cost that makes guessing slow. */
const CHEAP_SCRYPT = { N: 2, r: 1, p: 1 };

/** The port an injected server's Host header and links name; nothing listens on it. */
const INJECTED_PORT = 8443;
const INJECTED_API_PORT = 9443;

let serverIdentity: Promise<{ ca: Credential; key: string; cert: string }> | undefined;

/**
 * One server identity for the whole test process: making it is not what tests test. Clients
 * check it against the real time, so it is valid far around any date a test picks.
 */
function identity() {
  serverIdentity ??= (async () => {
    const validity = {
      notBefore: new Date('2000-01-01T00:00:00Z'),
      notAfter: new Date('2099-12-31T00:00:00Z'),
    };
    const ca = await createRootCa({ subject: commonName('test server CA'), ...validity });
    const server = await createServerCertificate({
      issuer: ca,
      subject: commonName('localhost'),
      names: ['localhost', '127.0.0.1', 't100.example.test', 't200.example.test'],
      ...validity,
    });
    return { ca, key: await exportPrivateKeyPem(server.keys.privateKey), cert: server.certificate.pem };
  })();
  return serverIdentity;
}

/**
 * The token signing key of test servers, unless a test asks for its own: a fixture key
 * (helpers/keys.ts), as the mock stores the key it makes. Making an RSA-2048 key takes a tenth
 * of a second or more, and a test about tokens gets a key either way.
 */
async function fixtureSigningKey(): Promise<SigningKeyRecord> {
  const privateKeyPem = rsaPem(2048, 0);
  const { n, e } = createPublicKey(privateKeyPem).export({ format: 'jwk' });
  return {
    kid: await calculateJwkThumbprint({ kty: 'RSA', n: n!, e: e! }),
    privateKeyPem,
    createdAt: TEST_NOW,
  };
}

/**
 * Starts the real application over an in-memory store with the given seed, closed at teardown:
 * by default for `app.inject` (no socket); with `listen: true` on HTTPS with client certificates
 * on 127.0.0.1 and an ephemeral port.
 */
export async function startServer(t: Teardown, options: StartOptions = {}): Promise<TestServer> {
  const clock = options.clock ?? new TestClock();
  const store = options.store ?? new SqliteStore();
  const config: Config = resolveConfig({ adminSecret: ADMIN_SECRET, ...options.config });
  const { ca, key, cert } = await identity();
  const listen = options.listen === true;
  const seed = options.seed;
  if (options.store === undefined && options.ownSigningKey !== true)
    store.putSigningKey(await fixtureSigningKey());
  const services = await createServices({
    config,
    clock,
    store,
    // scrypt at its real cost is some 40 ms per seeded password and per first login, hundreds of
    // times a run; test/seed/seed.test.ts holds the real cost to the rules.
    passwordCost: CHEAP_SCRYPT,
    ...(seed ? { seed: { source: 'test seed', load: () => parseSeed(seed, 'test seed') } } : {}),
  });
  const peerCertificates = options.peerCertificates ?? (listen ? undefined : injectedPeerCertificates);
  const app = await buildApp({
    services,
    limits: config.limits,
    responseBody: config.responseBody,
    acceptHandshakeChain: config.acceptHandshakeChain,
    mtlsServes: config.mtlsServes,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(listen ? { tls: { key, cert } } : {}),
    ...(peerCertificates ? { peerCertificates } : {}),
  });
  const apiApp = options.apiDoor
    ? await buildApp({
        services,
        door: 'api',
        limits: config.limits,
        responseBody: config.responseBody,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(listen ? { tls: { key, cert } } : {}),
      })
    : undefined;
  // Imported only here: aedes and the door's modules are a tenth of a second of every test process's start.
  const mqtt = options.mqtt
    ? await (await import('../../src/mqtt/door.js')).MqttDoor.create(
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
    await Promise.all([app.close(), apiApp?.close()]);
    store.close();
  };
  t.teardown(stop);
  await app.services.state.initialize();
  let port = INJECTED_PORT;
  if (listen) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  } else {
    await app.ready();
  }
  let api: TestServer['api'];
  if (apiApp) {
    let apiPort = INJECTED_API_PORT;
    if (listen) {
      await apiApp.listen({ port: 0, host: '127.0.0.1' });
      apiPort = (apiApp.server.address() as import('node:net').AddressInfo).port;
    } else {
      await apiApp.ready();
    }
    api = {
      app: apiApp,
      port: apiPort,
      transport: listen ? 'tls' : 'inject',
      serverCa: ca.certificate.pem,
      origin: `https://localhost:${apiPort}`,
    };
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
    transport: listen ? 'tls' : 'inject',
    port,
    mqttPort,
    mqtt,
    ...(api ? { api } : {}),
    serverCa: ca.certificate.pem,
    origin: `https://localhost:${port}`,
    stop,
  };
}

/** Where a client connects: an in-process test server (injected or listening) or a server process. */
export type Endpoint = Pick<TestServer, 'port' | 'serverCa'> & Partial<Pick<TestServer, 'transport' | 'app'>>;

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

/** An answer read whole: status, headers and body. */
export function readResponse(response: IncomingMessage): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
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
  });
}

/**
 * One request with an optional client certificate: over a fresh HTTPS connection, or into an
 * injected server's app with the certificates a handshake would give it.
 */
export function call(server: Endpoint, options: ClientOptions): Promise<ClientResponse> {
  if (server.transport === 'inject') return inject(server, options);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        method: options.method ?? 'GET',
        path: options.path,
        ...httpsContext({
          ca: server.serverCa,
          cert: options.cert,
          key: options.key,
          ciphers: options.ciphers,
        }),
        headers: {
          ...(options.host ? { host: options.host } : { host: `localhost:${server.port}` }),
          ...options.headers,
        },
        agent: false,
      },
      (response) => readResponse(response).then(resolve, reject),
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

async function inject(server: Endpoint, options: ClientOptions): Promise<ClientResponse> {
  const { app } = server;
  if (!app) throw new Error('an injected server has its app');
  // The CA certificates of the server's TLS context, as followTrust sets them.
  const store = tlsContext({ key: '', cert: '' }, app.services.trust.index().enabledCertificates()).ca;
  const chain = options.cert ? handshakeChain(options.cert, store) : [];
  const response = await app.inject({
    method: (options.method ?? 'GET') as 'GET',
    url: options.path,
    headers: {
      host: options.host ?? `localhost:${server.port}`,
      ...options.headers,
      ...(chain.length ? { [PEER_HEADER]: peerHeaderValue(chain) } : {}),
    },
    ...(options.body !== undefined ? { payload: options.body } : {}),
  });
  const raw = response.rawPayload;
  const text = raw.toString('utf8');
  return {
    status: response.statusCode,
    headers: response.headers as ClientResponse['headers'],
    text,
    raw,
    json: () => JSON.parse(text),
  };
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
