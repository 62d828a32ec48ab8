import { randomInt } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ErrorObject } from 'ajv';
import { type Iso8601Error, parseDuration } from '../iso8601.js';
import { lazyValidator } from '../lazy-validator.js';
import { type Static, Type } from '../typebox.js';

/** Where a rule applies: the REST API, the MQTT door, EST enrollment (`/.well-known/est/`). */
export const FAULT_DOORS = ['rest', 'mqtt', 'est'] as const;
export type FaultDoor = (typeof FAULT_DOORS)[number];

/**
 * What happens: an error answer with the platform's body; a delay before the normal answer; no
 * answer at all (the connection stays open until the client gives up); the connection closed; on
 * MQTT a message dropped (acknowledged, never handled) or a CONNACK refusal.
 */
export const FAULT_ACTIONS = ['status', 'delay', 'no-answer', 'close', 'drop', 'connack'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

/** The methods a rule can name: those the doors answer (a rule for another could never fire). */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength });

export const FaultRuleSchema = Type.Object(
  {
    door: Type.Union(FAULT_DOORS.map((door) => Type.Literal(door))),
    /** REST and EST: the HTTP method, one of HTTP_METHODS in any case; default any. */
    method: Type.Optional(Type.String()),
    /** REST and EST: the path without its query, exact, or a prefix ending in `*`; default any. */
    path: Type.Optional(Type.String({ pattern: '^/', maxLength: 2048 })),
    /** MQTT: CONNECT or a PUBLISH of the device (default publish). */
    stage: Type.Optional(Type.Union([Type.Literal('connect'), Type.Literal('publish')])),
    /** MQTT publish: the topic, exact, or a prefix ending in `*`; default any. */
    topic: Type.Optional(Text(1024)),
    tenant: Type.Optional(Text(256)),
    device: Type.Optional(Text(1024)),
    action: Type.Union(FAULT_ACTIONS.map((action) => Type.Literal(action))),
    /** status: the HTTP status, 400 to 599, and optionally the error type and message of the body. */
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
    error: Type.Optional(Text(256)),
    message: Type.Optional(Text(1024)),
    /** delay: an ISO 8601 duration, up to an hour. */
    delay: Type.Optional(Type.String()),
    /** connack: the CONNACK return code of MQTT 3.1.1, 1 to 5 (default 3, server unavailable). */
    returnCode: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    /** The next N matching requests; default every one until the rule is removed. */
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** A share of the matching requests, drawn from a generator seeded with `seed`. */
    share: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffff_ffff })),
  },
  { additionalProperties: false },
);
export type FaultRuleInput = Static<typeof FaultRuleSchema>;

/** A rule as listed: what was asked, with its ID and how it has fired. */
export interface FaultRule extends FaultRuleInput {
  id: string;
  /** The ISO 8601 instant it was made, on the mock's clock. */
  created: string;
  /** Matching requests seen, and faults injected. */
  matched: number;
  injected: number;
  /** Faults still to inject (with `times`); 0 ends the rule. */
  remaining?: number;
  active: boolean;
}

/** A rule that cannot be used; the message names the field. */
export class FaultRuleError extends Error {}

const faultRuleValidator = lazyValidator(FaultRuleSchema, { allErrors: true, strict: true });
const MAX_DELAY_MS = 3_600_000;

/** Which actions each door and stage can take. */
const ACTIONS: Record<string, readonly FaultAction[]> = {
  rest: ['status', 'delay', 'no-answer', 'close'],
  est: ['status', 'delay', 'no-answer', 'close'],
  'mqtt:connect': ['connack', 'delay', 'close'],
  'mqtt:publish': ['drop', 'no-answer', 'delay', 'close'],
};

/** A checked rule: the fields that fit its door and action, the delay in milliseconds. */
export interface CheckedRule {
  input: FaultRuleInput;
  delayMs: number;
  seed: number;
}

export function checkRule(body: unknown): CheckedRule {
  const validate = faultRuleValidator();
  if (!validate(body)) throw new FaultRuleError(schemaProblem(validate.errors ?? []));
  const input = body as FaultRuleInput;
  const { door, action } = input;
  const refuse = (message: string): never => {
    throw new FaultRuleError(message);
  };
  const http = door !== 'mqtt';
  if (http && (input.stage || input.topic))
    refuse(`stage and topic are for door "mqtt"; this rule is for "${door}"`);
  if (!http && (input.method !== undefined || input.path))
    refuse('method and path are for doors "rest" and "est"');
  const method = input.method?.toUpperCase();
  if (method !== undefined && !(HTTP_METHODS as readonly string[]).includes(method)) {
    refuse(
      `method must be ${HTTP_METHODS.slice(0, -1).join(', ')} or ${HTTP_METHODS.at(-1)} (any case); got ${JSON.stringify(input.method)}`,
    );
  }
  const stage = http ? undefined : (input.stage ?? (action === 'connack' ? 'connect' : 'publish'));
  if (stage === 'connect' && input.topic) refuse('topic is for stage "publish"; a CONNECT has none');
  const allowed = ACTIONS[stage ? `mqtt:${stage}` : door]!;
  if (!allowed.includes(action)) {
    refuse(
      `action "${action}" does not fit door "${door}"${stage ? ` at stage "${stage}"` : ''}; use ${allowed.map((a) => `"${a}"`).join(', ')}`,
    );
  }
  if (action === 'status' && input.status === undefined) refuse('action "status" needs status (400 to 599)');
  if (action !== 'status' && (input.status !== undefined || input.error || input.message))
    refuse('status, error and message are for action "status"');
  if (action !== 'connack' && input.returnCode !== undefined) refuse('returnCode is for action "connack"');
  let delayMs = 0;
  if (action === 'delay') {
    if (input.delay === undefined) refuse('action "delay" needs delay, an ISO 8601 duration such as PT0.5S');
    try {
      delayMs = parseDuration('delay', input.delay, MAX_DELAY_MS);
    } catch (error) {
      refuse((error as Iso8601Error).message);
    }
    if (delayMs <= 0) refuse(`delay must be more than 0 and at most PT1H; got "${input.delay}"`);
  } else if (input.delay !== undefined) refuse('delay is for action "delay"');
  if (input.seed !== undefined && input.share === undefined) refuse('seed is for share');
  const normalized: FaultRuleInput = {
    ...input,
    ...(stage ? { stage } : {}),
    ...(method ? { method } : {}),
    ...(action === 'status' && !input.error ? { error: defaultErrorType(input.status!) } : {}),
    ...(action === 'connack' && input.returnCode === undefined ? { returnCode: 3 } : {}),
  };
  return { input: normalized, delayMs, seed: input.seed ?? randomInt(0, 0xffff_ffff) };
}

/** The platform's error type for a status: `security/` for 401 and 403, else `general/<reason phrase>`. */
export function defaultErrorType(status: number): string {
  const phrase = STATUS_CODES[status] ?? 'Error';
  return status === 401 || status === 403 ? `security/${phrase}` : `general/${phrase}`;
}

function schemaProblem(errors: ErrorObject[]): string {
  // A union's branches each report; the enum-like message is the one that helps.
  const first = errors.find((e) => e.keyword !== 'const' && e.keyword !== 'anyOf') ?? errors[0];
  if (!first) return 'the rule is not valid';
  const field = first.instancePath.slice(1).replaceAll('/', '.');
  if (first.instancePath === '' && first.keyword === 'type') return 'the rule must be a JSON object';
  if (first.keyword === 'additionalProperties') {
    return `unknown field "${(first.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (first.keyword === 'required')
    return `missing field "${(first.params as { missingProperty: string }).missingProperty}"`;
  if (field === 'door') return `door must be ${FAULT_DOORS.map((d) => `"${d}"`).join(', ')}`;
  if (field === 'action') return `action must be ${FAULT_ACTIONS.map((a) => `"${a}"`).join(', ')}`;
  if (field === 'stage') return 'stage must be "connect" or "publish"';
  return `${field} ${first.message ?? 'is not valid'}`;
}
