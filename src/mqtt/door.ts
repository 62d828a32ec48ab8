import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type ConnectPacket, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DecisionLog } from '../decisions/decision-log.js';
import type { DeviceObjects } from '../device-data/device-objects.js';
import type { Inventory } from '../device-data/inventory.js';
import type { Operations } from '../device-data/operations.js';
import type { Faults } from '../faults/faults.js';
import { partyOfChain } from '../faults/party.js';
import type { DeviceLogin } from '../login/device-login.js';
import type { TrustIndex } from '../pki/trust-index.js';
import type { DeviceRecord } from '../tenants/devices.js';
import type { Tenants } from '../tenants/tenants.js';
import type { TrustRegistry } from '../tenants/trusted-certificates.js';
import { followTrust } from '../tls/follow-trust.js';
import { peerChain } from '../tls/peer-chain.js';
import type { ServerCredentials } from '../tls/tls-context.js';
import { ConnectRules } from './connect-rules.js';
import { MessageRouter } from './messages.js';
import { OperationDelivery } from './operation-delivery.js';
import { MAX_PACKET_BYTES, PacketSizeGuard } from './packet-size-guard.js';
import { type MqttSession, type MqttSessions, type SessionIdentity, sessionKey } from './sessions.js';
import { type EarlySubscribePolicy, judgeSubscription } from './subscribe-rules.js';
import type { Templates } from './templates.js';

export interface MqttDoorDeps {
  login: DeviceLogin;
  tenants: Tenants;
  trust: TrustRegistry;
  decisions: DecisionLog;
  sessions: MqttSessions;
  templates: Templates;
  inventory: Inventory;
  deviceObjects: DeviceObjects;
  operations: Operations;
  /** Runs writes as one transaction of the store (the messages of one turn of the event loop). */
  transaction: <T>(work: () => T) => T;
  clock: Clock;
  /** The fault rules a test suite set: asked at every CONNECT and PUBLISH. */
  faults: Faults;
  log: Logger;
}

export interface MqttDoorOptions {
  /** The server's certificate and key, the same as the HTTPS listener's. */
  credentials: ServerCredentials;
  /** Time for the TLS handshake, and then for CONNECT, to arrive. */
  connectTimeoutMs: number;
  maxConnections: number;
  /** SUBACK for `s/ds`, `s/dat` and notifications before the device's managed object exists. */
  earlySubscribe: EarlySubscribePolicy;
}

/**
 * Marks the messages the door itself sends to one client (`s/ds`, `s/e`,
 * `s/dat`): only these are forwarded. `$` cannot be in a device identifier,
 * so no client's own messages carry it.
 */
const DOOR_ORIGIN = '$c8y-mtls-mock';

/** What the door keeps per connection besides aedes's client. */
interface Connection {
  connect?: ConnectPacket;
  session?: MqttSession;
  /** Granted subscriptions: topic → QoS. */
  subscriptions: Map<string, number>;
  /** Closed by the mock (reset, shutdown, trust withdrawn): its last will is not executed. */
  dropped: boolean;
  /**
   * A packet over the size limit ended the connection: whatever aedes still
   * parses from the bytes already read is not handled (the last will is).
   */
  aborted: boolean;
}

/**
 * The MQTT door (Cumulocity's core MQTT on 8883): TLS with the server's
 * certificate, asking for a client certificate with every tenant's enabled
 * trusted certificates as acceptable CAs; a certificate the chain check
 * refuses ends the connection right after the handshake; then aedes speaks
 * MQTT, and its hooks apply the CONNECT rules, hand messages to the router
 * before their PUBACK, and allow subscriptions to downstream topics only.
 * Messages are never routed between clients: the door answers each device on
 * its own topics.
 */
export class MqttDoor {
  readonly server: Server;
  readonly #deps: MqttDoorDeps;
  readonly #options: MqttDoorOptions;
  readonly #broker: Aedes;
  readonly #rules: ConnectRules;
  readonly #router: MessageRouter;
  readonly #connections = new WeakMap<Client, Connection>();
  readonly #sockets = new Set<TLSSocket>();
  readonly #inFlight = new Set<Promise<void>>();
  /** SmartREST messages read in this turn of the event loop, stored together in the next. */
  #batch: { session: MqttSession; topic: string; payload: Buffer; done: (error?: Error | null) => void }[] =
    [];
  /** Settles once the batch being gathered is stored (or refused). */
  #batchStored: Promise<void> = Promise.resolve();
  readonly #unsubscribe: (() => void)[] = [];
  #closing = false;

  private constructor(deps: MqttDoorDeps, options: MqttDoorOptions, broker: Aedes) {
    this.#deps = deps;
    this.#options = options;
    this.#broker = broker;
    this.#rules = new ConnectRules({ login: deps.login, tenants: deps.tenants });
    this.#router = new MessageRouter({
      login: deps.login,
      templates: deps.templates,
      decisions: deps.decisions,
    });
    this.server = createServer(
      {
        key: options.credentials.key,
        cert: options.credentials.cert,
        requestCert: true,
        // Refused in #accept, after the handshake, as Node itself would: a device without a
        // certificate (a password device) must still get through (docs/choices.md).
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
        handshakeTimeout: options.connectTimeoutMs,
        // As Node's HTTP server does for the REST door. Without it, Nagle's algorithm can hold a
        // CONNACK written while the session tickets are unacknowledged until the client's delayed
        // ACK (up to 40 ms on Linux): 13 % fewer new devices a second got through on the loopback
        // (docs/performance.md, issue 19).
        noDelay: true,
      },
      (socket) => this.#accept(socket),
    );
    this.server.maxConnections = options.maxConnections;
    // With a listener here, Node leaves the socket open (a handshake timeout included): it is ours to end.
    this.server.on('tlsClientError', (error, socket) => {
      deps.log.debug({ err: error, remoteAddress: socket.remoteAddress }, 'mqtt: TLS handshake failed');
      socket.destroy();
    });
    this.#unsubscribe.push(
      followTrust(this.server, options.credentials, deps.trust, deps.log),
      deps.trust.onChange((index) => this.#dropWithdrawn(index)),
      deps.login.onDeviceDisabled((device) => this.#dropDisabled(device)),
      new OperationDelivery({
        inventory: deps.inventory,
        operations: deps.operations,
        sessions: deps.sessions,
        decisions: deps.decisions,
      }).start(),
    );
  }

  /** The door over the services; its `server` is the entry's to listen on. */
  static async create(deps: MqttDoorDeps, options: MqttDoorOptions): Promise<MqttDoor> {
    let door: MqttDoor | undefined;
    const broker = await Aedes.createBroker({
      connectTimeout: options.connectTimeoutMs,
      // MQTT 3.1's 23 characters would refuse most device IDs; the client ID rules are the door's.
      maxClientsIdLength: 65_535,
      preConnect: (client, packet, done) => door!.#preConnect(client, packet, done),
      authenticate: (client, _username, _password, done) => door!.#authenticate(client, done),
      authorizePublish: (client, packet, done) => door!.#publish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => done(null, door!.#subscribe(client, subscription)),
      authorizeForward: (_client, packet) =>
        (packet as { clientId?: string }).clientId === DOOR_ORIGIN ? packet : null,
    });
    door = new MqttDoor(deps, options, broker);
    broker.on('subscribe', (subscriptions, client) => {
      const connection = door!.#connections.get(client);
      for (const { topic, qos } of subscriptions) {
        if ((qos as number) !== 128) connection?.subscriptions.set(topic, qos);
      }
    });
    broker.on('unsubscribe', (topics, client) => {
      const connection = door!.#connections.get(client);
      for (const topic of topics) connection?.subscriptions.delete(topic);
    });
    broker.on('clientError', (client, error) =>
      deps.log.debug({ err: error, clientId: client.id }, 'mqtt: client connection ended by an error'),
    );
    broker.on('connectionError', (_client, error) =>
      deps.log.debug({ err: error }, 'mqtt: connection ended before CONNECT completed'),
    );
    return door;
  }

  /** Stops accepting, lets messages in flight be stored, then closes every connection. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.allSettled([...this.#inFlight]);
    this.#deps.sessions.closeAll();
    await new Promise<void>((resolve) => this.#broker.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** The TLS handshake is done: a certificate must pass the chain check, else the connection ends now. */
  #accept(socket: TLSSocket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const handshake = peerChain(socket);
    if (handshake.length > 0) {
      const verdict = this.#deps.login.checkChain({
        door: 'mqtt',
        handshake,
        // MQTT has no X-Ssl-Cert-Chain: the handshake is where a device's issuers can come from.
        handshakeIssuers: true,
        remoteAddress: socket.remoteAddress,
      });
      if (!verdict.ok) {
        this.#deps.decisions.record({ ...verdict.decision, mqtt: { stage: 'handshake' } });
        socket.destroy();
        return;
      }
    }
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {}); // aedes hears it too; a reset is not the door's fault
    const client = this.#broker.handle(socket);
    const connection: Connection = { subscriptions: new Map(), dropped: false, aborted: false };
    this.#connections.set(client, connection);
    const guard = new PacketSizeGuard(MAX_PACKET_BYTES);
    // Added after aedes's 'readable' listener, so 'data' only sees what aedes reads, as it reads it.
    socket.on('data', (chunk: Buffer) => {
      const problem = guard.feed(chunk);
      if (problem === undefined || connection.aborted) return;
      connection.aborted = true;
      const { session } = connection;
      this.#deps.decisions.record({
        door: 'mqtt',
        outcome: 'refused',
        status: 413,
        tenantId: session?.tenantId,
        externalId: session?.externalId,
        rule: 'packet-size',
        reason: `${problem}; the connection was closed`,
        remoteAddress: socket.remoteAddress,
        mqtt: { stage: 'packet', clientId: session?.clientId ?? connection.connect?.clientId },
      });
      socket.destroy();
    });
  }

  #preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, ok: boolean) => void): void {
    const connection = this.#connections.get(client);
    if (!connection || this.#closing) {
      done(new Error('the MQTT door is closing'), false);
      return;
    }
    connection.connect = packet;
    // aedes answers other protocol levels with CONNACK 1 before authenticate; the decision is ours.
    if (packet.protocolVersion !== 3 && packet.protocolVersion !== 4) {
      void this.#rules
        .decide(this.#connectRequest(client, packet))
        .then((verdict) => this.#deps.decisions.record(verdict.decision));
    }
    done(null, true);
  }

  #authenticate(client: Client, done: (error: AuthenticateError | null, ok: boolean | null) => void): void {
    const connection = this.#connections.get(client);
    const packet = connection?.connect;
    if (!connection || !packet) {
      done(refusal(5, 'no CONNECT packet'), false);
      return;
    }
    const conn = client.conn as TLSSocket;
    const fault = this.#deps.faults.inject({
      door: 'mqtt',
      stage: 'connect',
      clientId: packet.clientId,
      remoteAddress: conn.remoteAddress,
      who: () => connectingParty(packet, peerChain(conn), this.#deps.trust),
    });
    if (fault?.action === 'connack') {
      done(refusal(fault.returnCode!, `injected by fault rule ${fault.ruleId}`), false);
      return;
    }
    if (fault?.action === 'close') {
      conn.destroy();
      return;
    }
    if (fault?.action === 'delay') {
      setTimeout(() => this.#decideConnect(client, connection, packet, done), fault.delayMs).unref();
      return;
    }
    this.#decideConnect(client, connection, packet, done);
  }

  #decideConnect(
    client: Client,
    connection: Connection,
    packet: ConnectPacket,
    done: (error: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    if (client.closed) return;
    this.#rules.decide(this.#connectRequest(client, packet)).then(
      (verdict) => {
        this.#deps.decisions.record(verdict.decision);
        if (!verdict.ok) {
          done(refusal(verdict.returnCode, verdict.decision.reason ?? ''), false);
          return;
        }
        // aedes keys clients by this: a second connection of the device, in its tenant, takes over.
        (client as { id: string }).id = sessionKey(verdict.identity.tenantId, verdict.identity.externalId);
        connection.session = this.#session(client, connection, verdict.identity, packet.keepalive ?? 0);
        done(null, true);
      },
      (error: unknown) => {
        this.#deps.log.error({ err: error }, 'mqtt: CONNECT could not be decided');
        done(refusal(3, 'the mock failed to decide'), false);
      },
    );
  }

  #session(
    client: Client,
    connection: Connection,
    identity: SessionIdentity,
    keepalive: number,
  ): MqttSession {
    const { sessions, clock } = this.#deps;
    const session: MqttSession = {
      ...identity,
      connectedAt: clock.now(),
      remoteAddress: client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined,
      keepaliveSeconds: keepalive,
      active: false,
      subscriptions: () => [...connection.subscriptions].map(([topic, qos]) => ({ topic, qos })),
      deliver: (topic, payload) => {
        const qos = connection.subscriptions.get(topic);
        if (qos === undefined || client.closed) return false;
        const message = {
          cmd: 'publish',
          topic,
          payload: Buffer.from(payload),
          qos,
          retain: false,
          dup: false,
        };
        client.publish({ ...message, clientId: DOOR_ORIGIN } as PublishPacket, () => {});
        return true;
      },
      close: () => {
        connection.dropped = true;
        client.close();
      },
    };
    sessions.add(session);
    client.conn.once('close', () => sessions.remove(session));
    return session;
  }

  /** A message from a device (or its last will): handled and stored before aedes sends the PUBACK. */
  #publish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const connection = client ? this.#connections.get(client) : undefined;
    const session = connection?.session;
    // A will left over from a connection the door no longer knows, or one the mock closed on purpose;
    // or a packet read along with an oversized one (a will comes after close: client.closed).
    if (!connection || !session || connection.dropped || (connection.aborted && !client?.closed)) {
      done(new Error('not executed'));
      return;
    }
    // "The retained flag is accepted but has no effect" (reference A2): nothing is kept for later subscribers.
    packet.retain = false;
    // A last will is the door's own doing, not a message the device sends now: no fault for it.
    const fault = client?.closed
      ? undefined
      : this.#deps.faults.inject({
          door: 'mqtt',
          stage: 'publish',
          topic: packet.topic,
          clientId: session.clientId,
          remoteAddress: session.remoteAddress,
          who: () => ({ tenantId: session.tenantId, externalId: session.externalId }),
        });
    switch (fault?.action) {
      case 'drop':
      case 'no-answer':
        // Acknowledged and never handled: what a device sees of a platform that lost it.
        done(null);
        return;
      case 'close':
        (client!.conn as TLSSocket).destroy();
        done(new Error(`closed by fault rule ${fault.ruleId}`));
        return;
      case 'delay':
        // Settles once the message is handled, not once it is queued: close() waits for its batch.
        this.#track(
          new Promise<void>((resolve) =>
            setTimeout(() => resolve(this.#handle(session, packet, done)), fault.delayMs),
          ),
        );
        return;
      default:
        void this.#handle(session, packet, done);
    }
  }

  /**
   * Handles a message: SmartREST in the batch of this turn, `s/uat` and the rest at once. The
   * promise settles once it is handled (its batch stored, or refused).
   */
  #handle(session: MqttSession, packet: PublishPacket, done: (error?: Error | null) => void): Promise<void> {
    const payload = packet.payload as Buffer;
    if (MessageRouter.isSmartRest(packet.topic)) {
      // One promise in flight for the batch, not one for each of its messages.
      if (this.#batch.length === 0) {
        this.#batchStored = this.#track(
          new Promise<void>((resolve) =>
            setImmediate(() => {
              try {
                this.#storeBatch();
              } finally {
                resolve();
              }
            }),
          ),
        );
      }
      this.#batch.push({ session, topic: packet.topic, payload, done });
      return this.#batchStored;
    }
    return this.#track(
      this.#router.handle(session, packet.topic, payload).then(
        () => done(null),
        (error: unknown) => this.#notStored(error, [{ topic: packet.topic, done }]),
      ),
    );
  }

  /** Work that close() lets finish. */
  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
    return work;
  }

  /**
   * The SmartREST messages of a turn of the event loop, in one transaction: a
   * commit per message was most of a stored measurement's cost on disk. Their
   * PUBACKs go once it is committed; if it fails, none does.
   */
  #storeBatch(): void {
    const batch = this.#batch;
    this.#batch = [];
    try {
      this.#deps.transaction(() => {
        for (const { session, topic, payload } of batch) this.#router.smartRest(session, topic, payload);
      });
    } catch (error) {
      this.#notStored(error, batch);
      return;
    }
    for (const { done } of batch) done(null);
  }

  /** No PUBACK: the connection is closed, and the device sends the message again after it reconnects. */
  #notStored(error: unknown, messages: { topic: string; done: (error?: Error | null) => void }[]): void {
    this.#deps.log.error(
      { err: error, topics: messages.map((m) => m.topic) },
      `mqtt: ${messages.length} message(s) could not be stored`,
    );
    for (const { done } of messages) done(error as Error);
  }

  /** Downstream topics, written out, are granted (see judgeSubscription); anything else gets SUBACK 0x80. */
  #subscribe<T extends { topic: string }>(client: Client, subscription: T): T | null {
    const connection = this.#connections.get(client);
    const session = connection?.session;
    if (!session || connection.aborted) return null;
    const verdict = judgeSubscription(subscription.topic, session.auth, this.#options.earlySubscribe, () =>
      Boolean(this.#deps.deviceObjects.objectOf(session.tenantId, session.externalId)),
    );
    if (verdict.ok) return subscription;
    this.#deps.decisions.record({
      door: 'mqtt',
      outcome: 'refused',
      status: 403,
      tenantId: session.tenantId,
      externalId: session.externalId,
      rule: verdict.rule,
      reason: `${verdict.reason} (SUBACK 0x80)`,
      remoteAddress: session.remoteAddress,
      mqtt: { stage: 'subscribe', clientId: session.clientId, auth: session.auth, topic: subscription.topic },
    });
    return null;
  }

  /** A trusted certificate deleted or disabled: its devices' connections end (docs of DELETE). */
  #dropWithdrawn(index: TrustIndex): void {
    for (const session of this.#deps.sessions.list()) {
      const anchor = session.login?.anchor;
      if (!anchor) continue;
      const current = index.byFingerprint(anchor.certificate.fingerprint);
      if (!current?.enabled || current.tenantId !== anchor.tenantId) {
        this.#deps.log.info(
          { tenant: session.tenantId, device: session.externalId },
          'mqtt: the trusted certificate of a connected device was withdrawn; its connection is closed',
        );
        this.#deps.sessions.remove(session);
        session.close();
      }
    }
  }

  /** A device user disabled: its connection ends, as its tokens are refused from now on. */
  #dropDisabled(device: DeviceRecord): void {
    const session = this.#deps.sessions.get(device.tenantId, device.externalId);
    if (!session || session.userName !== device.userName) return;
    this.#deps.log.info(
      { tenant: device.tenantId, device: device.externalId },
      'mqtt: the device user was disabled; its connection is closed',
    );
    this.#deps.decisions.record({
      door: 'mqtt',
      outcome: 'refused',
      status: 401,
      tenantId: device.tenantId,
      externalId: device.externalId,
      rule: 'user-enabled',
      reason: `the device user ${device.userName} was disabled: its connection was closed`,
      mqtt: { stage: 'session', clientId: session.clientId, auth: session.auth },
    });
    this.#deps.sessions.remove(session);
    session.close();
  }

  #connectRequest(client: Client, packet: ConnectPacket) {
    const conn = client.conn as TLSSocket;
    return {
      clientId: packet.clientId,
      protocolVersion: packet.protocolVersion ?? 4,
      clean: packet.clean !== false,
      username: packet.username,
      password: packet.password,
      handshake: peerChain(conn),
      remoteAddress: conn.remoteAddress,
    };
  }
}

/** Who a CONNECT says it is, before any rule: `<tenant>/<user>` and the certificate's CN and tenant. */
function connectingParty(packet: ConnectPacket, chain: Buffer[], trust: TrustRegistry) {
  const username = packet.username ?? '';
  const slash = username.indexOf('/');
  const party = partyOfChain(chain, trust);
  return {
    tenantId: party.tenantId ?? (slash > 0 ? username.slice(0, slash) : undefined),
    externalId:
      party.externalId ?? (username ? username.slice(slash + 1).replace(/^device_/, '') : undefined),
  };
}

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}
