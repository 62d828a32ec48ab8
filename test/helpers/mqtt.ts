import { connect as tlsConnect } from 'node:tls';
import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

/** Where an MQTT client connects: a test server with its MQTT door. */
export interface MqttEndpoint {
  mqttPort: number;
  serverCa: string;
}

export interface DeviceClientOptions {
  cert?: string;
  key?: string;
  clientId: string;
  protocolVersion?: 3 | 4 | 5;
  username?: string;
  password?: string;
  clean?: boolean;
  keepalive?: number;
  will?: IClientOptions['will'];
}

/** A refused CONNECT: MQTT.js's error with the CONNACK code, or the connection closed without one. */
export interface ConnectFailure {
  returnCode?: number;
  message: string;
}

const Teardowns = new WeakSet<MqttClient>();

/** An MQTT.js client over mutual TLS, connected (CONNACK 0) or the reason why not. */
export async function connectDevice(
  t: { teardown(fn: () => unknown): void },
  server: MqttEndpoint,
  options: DeviceClientOptions,
): Promise<MqttClient> {
  const client = await connectAsync(clientOptions(server, options));
  if (!Teardowns.has(client)) {
    Teardowns.add(client);
    t.teardown(() => client.endAsync(true));
  }
  return client;
}

export function clientOptions(server: MqttEndpoint, options: DeviceClientOptions): IClientOptions {
  return {
    protocol: 'mqtts',
    host: '127.0.0.1',
    port: server.mqttPort,
    servername: 'localhost',
    ca: server.serverCa,
    ...(options.cert ? { cert: options.cert } : {}),
    ...(options.key ? { key: options.key } : {}),
    clientId: options.clientId,
    protocolVersion: options.protocolVersion ?? 4,
    clean: options.clean ?? true,
    keepalive: options.keepalive ?? 30,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.will ? { will: options.will } : {}),
  };
}

/**
 * Tries to connect and tells how it was refused: a CONNACK code, or the
 * connection closed without one (a refusal at the TLS handshake). Rejects if
 * it was accepted.
 */
export function refusedConnect(server: MqttEndpoint, options: DeviceClientOptions): Promise<ConnectFailure> {
  return new Promise((resolve, reject) => {
    const client = connect(clientOptions(server, options));
    let failure: ConnectFailure | undefined;
    client.on('connect', () => {
      client.end(true);
      reject(new Error(`the connection of ${options.clientId} was accepted`));
    });
    client.on('error', (error: Error & { code?: number | string }) => {
      failure ??= {
        ...(typeof error.code === 'number' ? { returnCode: error.code } : {}),
        message: error.message,
      };
    });
    client.on('close', () => {
      client.end(true);
      resolve(failure ?? { message: 'the connection was closed without a CONNACK' });
    });
  });
}

/** Waits for the next message on a topic (the client must be subscribed). */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (received: string, payload: Buffer) => {
      if (received !== topic) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(payload.toString('utf8'));
    };
    client.on('message', onMessage);
  });
}

/** Collects every message on the given topics, in order. */
export function collect(client: MqttClient, ...topics: string[]): { topic: string; payload: string }[] {
  const seen: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => {
    if (topics.includes(topic)) seen.push({ topic, payload: payload.toString('utf8') });
  });
  return seen;
}

/** A raw TLS connection to the MQTT door, for bytes no MQTT client sends. */
export function rawTls(server: MqttEndpoint, client: { cert?: string; key?: string } = {}) {
  return tlsConnect({
    host: '127.0.0.1',
    port: server.mqttPort,
    servername: 'localhost',
    ca: server.serverCa,
    ...(client.cert ? { cert: client.cert } : {}),
    ...(client.key ? { key: client.key } : {}),
  });
}

/** The claims of a compact JWT, unverified. */
export const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

/**
 * SUBSCRIBE, and the SUBACK's return code per filter (0x80 = 128 refused);
 * MQTT.js treats any refused filter as an error, so the SUBACK is read from it.
 */
export function subscribeCodes(
  client: MqttClient,
  filters: Record<string, { qos: 0 | 1 | 2 }>,
): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, (error, _subs, packet) => {
      const granted = (packet as { granted?: number[] } | undefined)?.granted;
      if (!granted) return reject(error ?? new Error('no SUBACK'));
      resolve(Object.fromEntries(Object.keys(filters).map((topic, i) => [topic, granted[i]!])));
    });
  });
}

/** Resolves when the client's connection closes. */
export const closed = (client: MqttClient): Promise<void> =>
  new Promise((resolve) => client.once('close', () => resolve()));
