import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { generate, type Packet, parser } from 'mqtt-packet';
import type { LoadResult } from './load.js';

/**
 * MQTT load for the bench, with mqtt-packet's encoder and parser on raw TLS
 * sockets: an MQTT.js client per connection would cost the load generator,
 * which shares the machine with the server, more than the server's work.
 */

export interface MqttDevice {
  cert: string;
  key: string;
  clientId: string;
}

interface Target {
  host: string;
  port: number;
  ca: string;
}

function summarize(latencies: number[], ok: number, failed: number, seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies.length === 0
      ? Number.NaN
      : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { requests: ok + failed, rps: ok / seconds, p50: at(50), p99: at(99), non2xx: 0, errors: failed };
}

/** One MQTT 3.1.1 connection: CONNECT sent, CONNACK 0 awaited; packets handed to `on`. */
class Connection {
  readonly socket: TLSSocket;
  #handlers = new Set<(packet: Packet) => void>();
  #nextId = 1;

  private constructor(socket: TLSSocket) {
    this.socket = socket;
    const reader = parser();
    reader.on('packet', (packet: Packet) => {
      for (const handler of this.#handlers) handler(packet);
    });
    socket.on('data', (chunk: Buffer) => reader.parse(chunk));
  }

  static open(target: Target, context: SecureContext, clientId: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: target.host,
        port: target.port,
        servername: 'localhost',
        secureContext: context,
      });
      const connection = new Connection(socket);
      const fail = (error: Error) => reject(error);
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('closed before CONNACK')));
      connection.#handlers.add(function connack(packet) {
        if (packet.cmd !== 'connack') return;
        connection.#handlers.delete(connack);
        if (packet.returnCode === 0) resolve(connection);
        else fail(new Error(`CONNACK ${packet.returnCode}`));
      });
      socket.once('secureConnect', () =>
        socket.write(
          generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clean: true,
            clientId,
            keepalive: 60,
          }),
        ),
      );
    });
  }

  /** Sends a packet and waits for the first packet `match` accepts. */
  ask(packet: Packet, match: (answer: Packet) => boolean): Promise<Packet> {
    return new Promise((resolve, reject) => {
      const onClose = () => reject(new Error('closed'));
      const handler = (answer: Packet) => {
        if (!match(answer)) return;
        this.#handlers.delete(handler);
        this.socket.off('close', onClose);
        resolve(answer);
      };
      this.#handlers.add(handler);
      this.socket.once('close', onClose);
      this.socket.write(generate(packet));
    });
  }

  id(): number {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 65535) + 1;
    return id;
  }

  subscribe(topic: string): Promise<Packet> {
    const messageId = this.id();
    return this.ask(
      { cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 0 }] },
      (p) => p.cmd === 'suback' && p.messageId === messageId,
    );
  }

  /** The device's token: an empty s/uat, answered by 71,<jwt> on s/dat. */
  token(): Promise<Packet> {
    return this.ask(
      { cmd: 'publish', topic: 's/uat', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false },
      (p) => p.cmd === 'publish' && p.topic === 's/dat' && p.payload.toString().startsWith('71,'),
    );
  }

  /** A QoS 1 publish, resolved by its PUBACK. */
  publish(topic: string, payload: string): Promise<Packet> {
    const messageId = this.id();
    return this.ask(
      { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId, retain: false, dup: false },
      (p) => p.cmd === 'puback' && p.messageId === messageId,
    );
  }

  close(): void {
    this.socket.end(generate({ cmd: 'disconnect' }));
  }
}

/**
 * A new device per connection: mutual TLS with its own certificate, CONNECT,
 * SUBSCRIBE s/dat, an empty s/uat, the 71 line; then DISCONNECT. What a fleet
 * of devices costs that each asks for its first token. Latency covers all of it.
 */
export async function mqttNewDeviceEach(options: {
  target: Target;
  next: () => MqttDevice;
  concurrency: number;
  seconds: number;
}): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const deadline = performance.now() + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const device = options.next();
        const started = performance.now();
        const context = createSecureContext({ cert: device.cert, key: device.key, ca: options.target.ca });
        try {
          const connection = await Connection.open(options.target, context, device.clientId);
          await connection.subscribe('s/dat');
          await connection.token();
          connection.close();
          ok++;
          latencies.push(performance.now() - started);
        } catch {
          failed++;
        }
      }
    }),
  );
  return summarize(latencies, ok, failed, options.seconds);
}

/**
 * `devices.length` kept connections, one device each, each with one request in
 * flight: `token` (s/uat -> s/dat 71) or `publish` (QoS 1, its PUBACK).
 */
export async function mqttKeepAlive(options: {
  target: Target;
  devices: MqttDevice[];
  seconds: number;
  work: { kind: 'token' } | { kind: 'publish'; topic: string; payload: string };
}): Promise<LoadResult> {
  const connections = await Promise.all(
    options.devices.map(async (device) => {
      const context = createSecureContext({ cert: device.cert, key: device.key, ca: options.target.ca });
      const connection = await Connection.open(options.target, context, device.clientId);
      if (options.work.kind === 'token') await connection.subscribe('s/dat');
      return connection;
    }),
  );
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const { work } = options;
  const deadline = performance.now() + options.seconds * 1000;
  await Promise.all(
    connections.map(async (connection) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          await (work.kind === 'token' ? connection.token() : connection.publish(work.topic, work.payload));
          ok++;
          latencies.push(performance.now() - started);
        } catch {
          failed++;
          return;
        }
      }
    }),
  );
  for (const connection of connections) connection.close();
  return summarize(latencies, ok, failed, options.seconds);
}
