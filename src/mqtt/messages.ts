import type { DecisionDraft, DecisionLog, MqttDetail } from '../decisions/decision-log.js';
import type { DeviceLogin } from '../login/device-login.js';
import type { MqttSession } from './sessions.js';
import { parseSmartRest } from './smartrest.js';
import { type Answer, ERROR_TEXT, SmartRestError, type Templates } from './templates.js';
import { ERRORS, smartRestTarget, TOKEN_REQUEST, TOKEN_RESPONSE } from './topics.js';

/** The platform's answer to `s/uat` from a session without a certificate (reference A5). */
export const PASSWORD_TOKEN_REFUSAL =
  '41,,MqttAuth: Cannot publish token for device that do not use certificate authentication';

/** How many lines of a message, and how much of each, its decision keeps. */
const RECORDED_LINES = 10;
const RECORDED_LINE_LENGTH = 200;

export interface MessageRouterDeps {
  login: DeviceLogin;
  templates: Templates;
  decisions: DecisionLog;
}

/**
 * What the door does with a message a device publishes, before its PUBACK:
 * an empty `s/uat` gets the device's token on `s/dat` (`token`, async: it
 * may sign); SmartREST lines on `s/us` (and `t/us`, `q/us`, `c/us`,
 * children's `s/us/<id>`) go to the templates, their answers to `s/ds` and
 * `s/e` (`smartRest`, synchronous, so the door can store several messages in
 * one transaction). Every message is a decision. A fault of the mock throws
 * (then no PUBACK is sent).
 */
export class MessageRouter {
  readonly #deps: MessageRouterDeps;

  constructor(deps: MessageRouterDeps) {
    this.#deps = deps;
  }

  /** Whether a topic's messages are SmartREST, handled by `smartRest`. */
  static isSmartRest(topic: string): boolean {
    return smartRestTarget(topic) !== undefined;
  }

  async handle(session: MqttSession, topic: string, payload: Buffer): Promise<void> {
    if (topic === TOKEN_REQUEST) {
      session.active = true;
      return this.#token(session);
    }
    this.smartRest(session, topic, payload);
  }

  /** SmartREST lines (or a topic the mock ignores), written before it returns. */
  smartRest(session: MqttSession, topic: string, payload: Buffer): void {
    const child = smartRestTarget(topic);
    if (child === undefined) {
      this.#record(session, topic, {
        outcome: 'message',
        status: 200,
        reason: 'a topic the mock does not handle: ignored',
      });
      return;
    }
    session.active = true;
    const { lines, malformed } = parseSmartRest(payload.toString('utf8'));
    const recorded: NonNullable<MqttDetail['lines']> = [];
    let failed = false;
    const answer = (line: string, answers: Answer[]) => {
      for (const { topic, line: text } of answers) {
        session.deliver(topic, text);
        if (topic === ERRORS) failed = true;
      }
      if (recorded.length < RECORDED_LINES) {
        recorded.push({
          line: line.slice(0, RECORDED_LINE_LENGTH),
          answer:
            answers.map((a) => `${a.topic} ${a.line}`.slice(0, RECORDED_LINE_LENGTH)).join('\n') || undefined,
        });
      }
    };
    for (const bad of malformed) {
      answer(bad.raw, [
        { topic: ERRORS, line: new SmartRestError(42, '', ERROR_TEXT.malformed(bad.reason)).line },
      ]);
    }
    for (const line of lines) {
      answer(line.raw, this.#deps.templates.handle({ session, child }, line));
    }
    this.#record(session, topic, {
      outcome: failed ? 'refused' : 'message',
      status: failed ? 400 : 200,
      ...(failed ? { rule: 'smartrest', reason: 'a line was answered on s/e' } : {}),
      lines: recorded,
    });
  }

  /** `s/uat`: the device's token on `s/dat`, the same as REST would give it. */
  async #token(session: MqttSession): Promise<void> {
    if (session.auth !== 'certificate' || !session.login) {
      session.deliver(ERRORS, PASSWORD_TOKEN_REFUSAL);
      this.#record(session, TOKEN_REQUEST, {
        outcome: 'refused',
        status: 403,
        rule: 'token-password',
        reason: `${session.userName} connected with a password; tokens are for certificate devices`,
        lines: [{ line: '', answer: `${ERRORS} ${PASSWORD_TOKEN_REFUSAL}` }],
      });
      return;
    }
    const token = await this.#deps.login.issueToken(session.login);
    session.deliver(TOKEN_RESPONSE, `71,${token.record.jwt}`);
    const { record } = token;
    this.#record(session, TOKEN_REQUEST, {
      outcome: token.reused ? 'reused' : 'issued',
      status: 200,
      token: { hash: record.hash, issuedAt: record.issuedAtSeconds, expiresAt: record.expiresAtSeconds },
    });
  }

  #record(
    session: MqttSession,
    topic: string,
    what: Pick<DecisionDraft, 'outcome' | 'status' | 'rule' | 'reason' | 'token'> & {
      lines?: MqttDetail['lines'];
    },
  ): void {
    const mqtt: MqttDetail = { stage: 'publish', clientId: session.clientId, auth: session.auth, topic };
    if (what.lines) mqtt.lines = what.lines;
    // Built without spreads (a message's hot path), in the order the spread of `what` gave.
    const decision: DecisionDraft = {
      door: 'mqtt',
      tenantId: session.tenantId,
      externalId: session.externalId,
      remoteAddress: session.remoteAddress,
      outcome: what.outcome,
      status: what.status,
    };
    if (what.rule !== undefined) decision.rule = what.rule;
    if (what.reason !== undefined) decision.reason = what.reason;
    if (what.token !== undefined) decision.token = what.token;
    decision.mqtt = mqtt;
    this.#deps.decisions.record(decision);
  }
}
