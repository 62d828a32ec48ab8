import { type Clock, isoDate } from '../clock.js';
import type { DecisionLog, Door, MqttDetail } from '../decisions/decision-log.js';
import { formatDuration } from '../iso8601.js';
import { type CheckedRule, checkRule, type FaultAction, type FaultRule } from './fault-rule.js';

/** What a door knows of a request when it asks for a fault. */
export interface FaultRequest {
  door: Door;
  /** REST and EST. */
  method?: string | undefined;
  path?: string | undefined;
  /** MQTT. */
  stage?: 'connect' | 'publish' | undefined;
  topic?: string | undefined;
  clientId?: string | undefined;
  remoteAddress?: string | undefined;
  /** Who asks, worked out only when a rule is scoped to a tenant or device. */
  who(): { tenantId?: string | undefined; externalId?: string | undefined };
}

/** The fault a door must inject now. */
export interface Fault {
  ruleId: string;
  action: FaultAction;
  status?: number | undefined;
  error?: string | undefined;
  message?: string | undefined;
  delayMs: number;
  returnCode?: number | undefined;
}

interface Entry {
  rule: FaultRule;
  checked: CheckedRule;
  random: () => number;
}

/** mulberry32: a small generator whose sequence a seed fixes, so a share is repeatable. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const matches = (pattern: string | undefined, value: string | undefined) =>
  pattern === undefined ||
  (value !== undefined &&
    (pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern));

/**
 * The fault rules a test suite set (POST /_mock/faults): each door asks `inject` for every
 * request, and gets the fault to inject or nothing. Test state, in memory: a reset clears the
 * rules and a restart forgets them. Every fault injected is in the decision log with outcome
 * `injected`, so nobody takes it for a real refusal.
 */
export class Faults {
  readonly #clock: Clock;
  readonly #decisions: DecisionLog;
  readonly #entries: Entry[] = [];
  #next = 1;

  constructor(clock: Clock, decisions: DecisionLog) {
    this.#clock = clock;
    this.#decisions = decisions;
  }

  /** Whether any rule can still fire: a door asks nothing more when none can. */
  get active(): boolean {
    return this.#entries.some((entry) => entry.rule.active);
  }

  /** Checks and adds a rule; a rule that cannot be used throws FaultRuleError naming the field. */
  add(body: unknown): FaultRule {
    const checked = checkRule(body);
    const rule: FaultRule = {
      id: String(this.#next++),
      ...checked.input,
      ...(checked.input.share === undefined ? {} : { seed: checked.seed }),
      created: isoDate(this.#clock.now()),
      matched: 0,
      injected: 0,
      ...(checked.input.times === undefined ? {} : { remaining: checked.input.times }),
      active: true,
    };
    this.#entries.push({ rule, checked, random: seeded(checked.seed) });
    return { ...rule };
  }

  list(): FaultRule[] {
    return this.#entries.map((entry) => ({ ...entry.rule }));
  }

  get(id: string): FaultRule | undefined {
    const entry = this.#entries.find((e) => e.rule.id === id);
    return entry && { ...entry.rule };
  }

  remove(id: string): boolean {
    const index = this.#entries.findIndex((entry) => entry.rule.id === id);
    if (index < 0) return false;
    this.#entries.splice(index, 1);
    return true;
  }

  clear(): void {
    this.#entries.length = 0;
  }

  /** The fault for this request, if a rule fires: counted, and recorded in the decision log. */
  inject(request: FaultRequest): Fault | undefined {
    let who: ReturnType<FaultRequest['who']> | undefined;
    for (const { rule, checked, random } of this.#entries) {
      if (!rule.active || rule.door !== request.door) continue;
      if (rule.method !== undefined && rule.method !== request.method?.toUpperCase()) continue;
      if (!matches(rule.path, request.path)) continue;
      if (rule.stage !== undefined && rule.stage !== request.stage) continue;
      if (!matches(rule.topic, request.topic)) continue;
      if (rule.tenant !== undefined || rule.device !== undefined) {
        who ??= request.who();
        if (rule.tenant !== undefined && rule.tenant !== who.tenantId) continue;
        if (rule.device !== undefined && rule.device !== who.externalId) continue;
      }
      rule.matched++;
      if (rule.share !== undefined && random() >= rule.share) continue;
      rule.injected++;
      if (rule.remaining !== undefined) {
        rule.remaining--;
        if (rule.remaining === 0) rule.active = false;
      }
      const fault: Fault = {
        ruleId: rule.id,
        action: rule.action,
        status: rule.status,
        error: rule.error,
        message:
          rule.message ??
          (rule.status === undefined ? undefined : `Injected by the mock's fault rule ${rule.id}.`),
        delayMs: checked.delayMs,
        returnCode: rule.returnCode,
      };
      this.#record(request, rule, fault, who ?? request.who());
      return fault;
    }
    return undefined;
  }

  #record(request: FaultRequest, rule: FaultRule, fault: Fault, who: ReturnType<FaultRequest['who']>): void {
    const what =
      fault.action === 'status'
        ? `answered ${fault.status} ${fault.error}`
        : fault.action === 'delay'
          ? `delayed by ${formatDuration(fault.delayMs)}`
          : fault.action === 'connack'
            ? `refused with CONNACK ${fault.returnCode}`
            : fault.action === 'no-answer'
              ? 'not answered'
              : fault.action === 'drop'
                ? 'dropped (acknowledged, not handled)'
                : 'connection closed';
    const where =
      request.door === 'mqtt'
        ? `${request.stage === 'connect' ? 'CONNECT' : `PUBLISH ${request.topic}`}`
        : `${request.method} ${request.path}`;
    const mqtt: MqttDetail | undefined =
      request.door === 'mqtt'
        ? {
            stage: request.stage ?? 'publish',
            clientId: request.clientId,
            topic: request.topic,
            ...(fault.action === 'connack' ? { returnCode: fault.returnCode } : {}),
          }
        : undefined;
    this.#decisions.record({
      door: request.door,
      outcome: 'injected',
      status: fault.status ?? (fault.action === 'connack' ? 503 : 0),
      tenantId: who.tenantId,
      externalId: who.externalId,
      rule: `fault ${rule.id}`,
      reason: `${where}: ${what} by fault rule ${rule.id}${rule.remaining === undefined ? '' : ` (${rule.remaining} left)`}`,
      remoteAddress: request.remoteAddress,
      injected: { ruleId: rule.id, action: fault.action },
      ...(mqtt ? { mqtt } : {}),
    });
  }
}
