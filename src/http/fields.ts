import { UnprocessableEntity } from '../errors.js';

/**
 * Reading JSON request bodies field by field, so a bad payload gets a 422 that
 * names the field and says what was expected, in the resource's error type.
 */
export type JsonObject = Record<string, unknown>;

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : `${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`;

export class BodyReader {
  readonly #errorType: string;

  constructor(resource: string) {
    this.#errorType = `${resource}/Unprocessable Entity`;
  }

  fail(message: string): never {
    throw new UnprocessableEntity(this.#errorType, message);
  }

  object(body: unknown, what = 'The request body'): JsonObject {
    if (body === undefined) this.fail(`${what} is missing; send a JSON object.`);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      this.fail(`${what} must be a JSON object; got ${describe(body)}.`);
    }
    return body as JsonObject;
  }

  string(
    object: JsonObject,
    name: string,
    options: { required?: boolean; nonEmpty?: boolean } = {},
  ): string | undefined {
    const value = object[name];
    if (value === undefined) {
      if (options.required) this.fail(`Field ${name} is required.`);
      return undefined;
    }
    if (typeof value !== 'string') this.fail(`Field ${name} must be a string; got ${describe(value)}.`);
    if (options.nonEmpty && value.trim() === '') this.fail(`Field ${name} must not be empty.`);
    return value;
  }

  /** A boolean; the docs' examples send "true"/"false" as strings, so those count too. */
  boolean(object: JsonObject, name: string): boolean | undefined {
    const value = object[name];
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.fail(`Field ${name} must be true or false; got ${describe(value)}.`);
  }

  oneOf<T extends string>(
    object: JsonObject,
    name: string,
    allowed: readonly T[],
    options: { required?: boolean } = {},
  ): T | undefined {
    const value = object[name];
    if (value === undefined) {
      if (options.required) this.fail(`Field ${name} is required: one of ${allowed.join(', ')}.`);
      return undefined;
    }
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(`Field ${name} must be one of ${allowed.join(', ')}; got ${describe(value)}.`);
    }
    return value as T;
  }

  array(object: JsonObject, name: string): unknown[] {
    const value = object[name];
    if (!Array.isArray(value)) {
      this.fail(
        value === undefined
          ? `Field ${name} is required and must be an array.`
          : `Field ${name} must be an array; got ${describe(value)}.`,
      );
    }
    return value;
  }
}
