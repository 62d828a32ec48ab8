import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { CliError } from './cli-error.js';
import type { CliContext } from './context.js';
import { serverTrust } from './http-client.js';
import { assertKeyMatches, readCertificates, readPrivateKey } from './inputs.js';
import { printToken } from './token.js';

export interface MqttTokenOptions {
  url: string;
  cert: string;
  key: string;
  /** Issuers sent in the handshake after the leaf (MQTT has no X-Ssl-Cert-Chain). */
  chain?: string;
  cacert?: string;
  /** Default: the certificate's CN, as the platform requires. */
  clientId?: string;
  /** Milliseconds to wait for the connection and then for the answer. */
  timeout: number;
  quiet?: boolean;
}

/** CONNACK codes as the platform means them (reference A3). */
const CONNACK_MEANING: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client ID not accepted',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized (certificate refused, client ID not the CN, or the device is not registered)',
};

function mqttUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--url '${value}' is not a URL (e.g. mqtts://localhost:8883)`);
  }
  if (url.protocol !== 'mqtts:') throw new CliError(`--url '${value}': use an mqtts:// URL`);
  return url;
}

/**
 * A token over MQTT, as thin-edge.io gets it: mutual TLS on 8883 with the
 * client ID equal to the certificate's CN, subscribe `s/dat`, publish an empty
 * `s/uat`, read `71,<jwt>`. The token is the device's one token: the same as
 * `token` gets over REST while it is within half its lifetime.
 */
export async function mqttToken(options: MqttTokenOptions, context: CliContext): Promise<string> {
  const url = mqttUrl(options.url);
  const certificates = readCertificates(options.cert, 'device certificate');
  const leaf = certificates[0]!;
  const key = readPrivateKey(options.key);
  assertKeyMatches(leaf, key, options.key, options.cert);
  const issuers = options.chain
    ? readCertificates(options.chain, 'chain file').filter((c) => c.fingerprint !== leaf.fingerprint)
    : [];
  const clientId = options.clientId ?? leaf.commonNames[0];
  if (!clientId) throw new CliError(`${options.cert} has no CN; give --client-id`);
  const ca = serverTrust(options.cacert);
  const connection: IClientOptions = {
    protocol: 'mqtts',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 8883),
    servername: url.hostname,
    cert: [...certificates, ...issuers].map((c) => c.pem).join(''),
    key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    ...(ca ? { ca } : {}),
    clientId,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: options.timeout,
  };
  let client: MqttClient;
  try {
    client = await open(connection);
  } catch (error) {
    throw new CliError(`no MQTT connection to ${url.host}: ${describe(error)}`);
  }
  try {
    const answer = await askForToken(client, options.timeout);
    return printToken(answer, options.quiet === true, context);
  } finally {
    await client.endAsync(true);
  }
}

/**
 * Connects, or fails with the CONNACK's code, or with the close of a
 * connection that got none (MQTT.js's connectAsync would wait for ever then).
 */
function open(options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(options);
    let failure: unknown;
    client.once('connect', () => resolve(client));
    client.on('error', (error) => {
      failure ??= error;
    });
    client.once('close', () => {
      client.end(true);
      reject(failure ?? new Error('the connection was closed before a CONNACK'));
    });
  });
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return `CONNACK ${code}, ${CONNACK_MEANING[code] ?? 'refused'}`;
  const message = error instanceof Error ? error.message : String(error);
  // The mock (and the platform) ends the TLS connection of an untrusted certificate without a CONNACK.
  return /closed|ECONNRESET|EPIPE|socket hang up/i.test(message)
    ? `${message} (a certificate the mock does not trust is refused at the TLS handshake)`
    : message;
}

/** Subscribes to s/dat and s/e, publishes an empty s/uat, and takes the JWT of the first 71 line. */
function askForToken(client: MqttClient, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CliError(`no answer on s/dat within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    client.on('message', (topic, payload) => {
      const line = payload.toString('utf8').trim();
      if (topic === 's/dat' && line.startsWith('71,')) settle(() => resolve(line.slice(3)));
      if (topic === 's/e') settle(() => reject(new CliError(`the mock answered on s/e: ${line}`)));
    });
    client.on('close', () =>
      settle(() => reject(new CliError('the connection closed before the token came'))),
    );
    client
      .subscribeAsync({ 's/dat': { qos: 0 }, 's/e': { qos: 0 } })
      .then(() => client.publishAsync('s/uat', '', { qos: 0 }))
      .catch((error: unknown) =>
        settle(() => reject(new CliError(`s/uat could not be asked: ${describe(error)}`))),
      );
  });
}
