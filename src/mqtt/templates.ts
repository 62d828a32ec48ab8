import { C8yError } from '../errors.js';
import type { SessionIdentity } from './sessions.js';
import { formatLine, type SmartRestLine } from './smartrest.js';
import { ERRORS, OPERATIONS } from './topics.js';

/** A line the door sends back, and where. */
export interface Answer {
  topic: typeof ERRORS | typeof OPERATIONS;
  line: string;
}

/**
 * The codes of `s/e` (reference A6): 40 no such template, 41 refused in
 * this state (a device that exists already), 42 unreadable line, 45 wrong
 * arguments, 50 a server error.
 */
export type SmartRestErrorCode = 40 | 41 | 42 | 45 | 50;

/** A message refused with its `s/e` line: `<code>,<templateId>,<text>`. */
export class SmartRestError extends Error {
  readonly code: SmartRestErrorCode;
  readonly template: string;

  constructor(code: SmartRestErrorCode, template: string, text: string) {
    super(text);
    this.name = 'SmartRestError';
    this.code = code;
    this.template = template;
  }

  get line(): string {
    return formatLine([this.code, this.template, this.message]);
  }
}

/** The `s/e` texts the mock chose where the platform's are not public (docs/choices.md). */
export const ERROR_TEXT = {
  unknownTemplate: 'Template not found',
  argumentCount: 'Wrong number of arguments',
  malformed: (reason: string) => `Malformed message: ${reason}`,
} as const;

/** Who sent a message, and about which device: the session's, or a child's (`s/us/<childId>`). */
export interface TemplateContext {
  session: SessionIdentity;
  /** The child device's external ID, or '' for the device itself. */
  child: string;
}

/** What a template does with its arguments (the fields after its ID); answers go to `s/ds`. */
export type TemplateHandler = (context: TemplateContext, args: string[]) => string[] | undefined;

export interface TemplateSpec {
  handler: TemplateHandler;
  /** How many arguments it needs at least and takes at most. */
  min: number;
  max: number;
}

/**
 * The static templates the door knows, by message ID. A line with an ID it
 * does not know is answered `40`, one with too few or too many arguments
 * `45`; a handler refuses with a `SmartRestError` (its `s/e` line), and a
 * refusal of the device data services becomes `45` (422: a value they do not
 * take) or `50` (403, 404, 409) with their message. Anything else a handler
 * throws is a fault of the mock and propagates (no PUBACK).
 */
export class Templates {
  readonly #specs: ReadonlyMap<string, TemplateSpec>;

  constructor(specs: ReadonlyMap<string, TemplateSpec>) {
    this.#specs = specs;
  }

  get ids(): string[] {
    return [...this.#specs.keys()];
  }

  handle(context: TemplateContext, line: SmartRestLine): Answer[] {
    const [id = '', ...args] = line.fields;
    try {
      const spec = this.#specs.get(id);
      if (!spec) throw new SmartRestError(40, id, ERROR_TEXT.unknownTemplate);
      if (args.length < spec.min || args.length > spec.max) {
        throw new SmartRestError(45, id, ERROR_TEXT.argumentCount);
      }
      return (spec.handler(context, args) ?? []).map((answer) => ({ topic: OPERATIONS, line: answer }));
    } catch (error) {
      if (error instanceof SmartRestError) return [{ topic: ERRORS, line: error.line }];
      // The domain's refusal: a value it does not take is a wrong argument, anything else a refusal.
      if (error instanceof C8yError && error.status < 500) {
        const code = error.status === 422 ? 45 : 50;
        return [{ topic: ERRORS, line: formatLine([code, id, error.message]) }];
      }
      throw error;
    }
  }
}
