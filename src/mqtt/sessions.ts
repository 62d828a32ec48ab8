import type { LoginSession } from '../login/device-login.js';

/** Who is connected: what the door learnt at CONNECT. */
export interface SessionIdentity {
  tenantId: string;
  /** The device identifier of the client ID: the device's external ID. */
  externalId: string;
  /** The client ID as the device sent it. */
  clientId: string;
  auth: 'certificate' | 'password';
  /** `device_<CN>` for a certificate, the `<user>` of `<tenant>/<user>` for a password. */
  userName: string;
  /** The device login of a certificate session: what `s/uat` hands its token to. */
  login?: LoginSession | undefined;
}

/** A connected MQTT client, as the door keeps it. */
export interface MqttSession extends SessionIdentity {
  connectedAt: number;
  remoteAddress: string | undefined;
  keepaliveSeconds: number;
  /**
   * The device published on `s/us` or `s/uat` (docs: "The MQTT broker will not
   * make any information available on the device's subscribed topics until the
   * device publishes a message to s/uat or s/us"): new operations reach it now.
   */
  active: boolean;
  /** The topic filters granted, with their QoS. */
  subscriptions(): { topic: string; qos: number }[];
  /** Publishes a message to this client on a topic it subscribed to; false when it did not. */
  deliver(topic: string, payload: string): boolean;
  /** Ends the connection, without its last will. */
  close(): void;
}

/** What the control API shows of a session. */
export interface SessionView {
  tenantId: string;
  externalId: string;
  clientId: string;
  auth: 'certificate' | 'password';
  userName: string;
  connectedAt: string;
  remoteAddress: string | null;
  keepaliveSeconds: number;
  active: boolean;
  subscriptions: { topic: string; qos: number }[];
}

/** The key under which a device has at most one session: a second connection takes over. */
export const sessionKey = (tenantId: string, externalId: string): string => `${tenantId}/${externalId}`;

/**
 * The MQTT sessions of this mock, one per device and tenant. The door adds
 * and removes them; the control API lists them and a reset or import ends
 * them all (their devices may be gone). Nothing here is stored.
 */
export class MqttSessions {
  readonly #sessions = new Map<string, MqttSession>();

  add(session: MqttSession): void {
    this.#sessions.set(sessionKey(session.tenantId, session.externalId), session);
  }

  /** Forgets a session, unless another connection of its device took its place already. */
  remove(session: MqttSession): void {
    const key = sessionKey(session.tenantId, session.externalId);
    if (this.#sessions.get(key) === session) this.#sessions.delete(key);
  }

  get(tenantId: string, externalId: string): MqttSession | undefined {
    return this.#sessions.get(sessionKey(tenantId, externalId));
  }

  get size(): number {
    return this.#sessions.size;
  }

  list(tenantId?: string): MqttSession[] {
    const all = [...this.#sessions.values()];
    return tenantId === undefined ? all : all.filter((session) => session.tenantId === tenantId);
  }

  /** Ends every session (reset, import, shutdown); returns how many there were. */
  closeAll(): number {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of sessions) session.close();
    return sessions.length;
  }
}

export function sessionView(session: MqttSession): SessionView {
  return {
    tenantId: session.tenantId,
    externalId: session.externalId,
    clientId: session.clientId,
    auth: session.auth,
    userName: session.userName,
    connectedAt: new Date(session.connectedAt).toISOString(),
    remoteAddress: session.remoteAddress ?? null,
    keepaliveSeconds: session.keepaliveSeconds,
    active: session.active,
    subscriptions: session.subscriptions(),
  };
}
