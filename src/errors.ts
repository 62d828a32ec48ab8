/**
 * Errors are data: each carries the HTTP status and the Cumulocity error type
 * (`<RESOURCE_TYPE>/<ERROR_NAME>`), and one handler renders them as
 * `{error, message, info}`. `reason` is the precise internal explanation; it goes
 * to the log and the decision log, never to the client.
 */
export const ERROR_INFO_URL = 'https://www.cumulocity.com/guides/reference-guide/#error_reporting';
export const ERROR_CONTENT_TYPE = 'application/vnd.com.nsn.cumulocity.error+json';

export interface ErrorBody {
  error: string;
  message: string;
  info: string;
}

export interface C8yErrorOptions {
  /** What exactly went wrong, for logs; never sent to the client. */
  reason?: string;
  /** A short stable name of the failed rule, for the decision log. */
  rule?: string;
  cause?: unknown;
}

export class C8yError extends Error {
  readonly status: number;
  readonly error: string;
  readonly reason: string | undefined;
  readonly rule: string | undefined;

  constructor(status: number, error: string, message: string, options: C8yErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.error = error;
    this.reason = options.reason;
    this.rule = options.rule;
  }

  toBody(): ErrorBody {
    return { error: this.error, message: this.message, info: ERROR_INFO_URL };
  }
}

/**
 * An error answer a fault rule injected: the platform's body as any, but logged as injected, at
 * info and without a stack, so nobody takes it for a failure of the mock.
 */
export class InjectedFault extends C8yError {
  readonly ruleId: string;

  constructor(status: number, error: string, message: string, ruleId: string) {
    super(status, error, message, { rule: `fault ${ruleId}`, reason: `injected by fault rule ${ruleId}` });
    this.ruleId = ruleId;
  }
}

export class BadRequest extends C8yError {
  constructor(resource: string, message: string, options?: C8yErrorOptions) {
    super(400, `${resource}/Bad Request`, message, options);
  }
}

export class Unauthorized extends C8yError {
  constructor(message: string, options?: C8yErrorOptions) {
    super(401, 'security/Unauthorized', message, options);
  }
}

export class Forbidden extends C8yError {
  constructor(message = 'Access is denied.', options?: C8yErrorOptions) {
    super(403, 'security/Forbidden', message, options);
  }
}

export class NotFound extends C8yError {
  constructor(resource: string, message: string, options?: C8yErrorOptions) {
    super(404, `${resource}/Not Found`, message, options);
  }
}

export class MethodNotAllowed extends C8yError {
  constructor(message: string, options?: C8yErrorOptions) {
    super(405, 'general/Method Not Allowed', message, options);
  }
}

export class Conflict extends C8yError {
  constructor(resource: string, message: string, options?: C8yErrorOptions) {
    super(409, `${resource}/Conflict`, message, options);
  }
}

export class PayloadTooLarge extends C8yError {
  constructor(message: string, options?: C8yErrorOptions) {
    super(413, 'general/Payload Too Large', message, options);
  }
}

export class UnsupportedMediaType extends C8yError {
  constructor(message: string, options?: C8yErrorOptions) {
    super(415, 'general/Unsupported Media Type', message, options);
  }
}

export class UnprocessableEntity extends C8yError {
  /** `error` is given whole: Cumulocity's 422 types do not all follow `<resource>/<name>`. */
  constructor(error: string, message: string, options?: C8yErrorOptions) {
    super(422, error, message, options);
  }
}

export class TooManyRequests extends C8yError {
  constructor(message: string, options?: C8yErrorOptions) {
    super(429, 'general/Too Many Requests', message, options);
  }
}

/** The 401s of the platform, by situation (texts from replayed platform responses). */
export const UNAUTHORIZED = {
  chain: 'Invalid certificate chain!',
  credentials: 'Invalid credentials! : Bad credentials',
  /** A disabled user, in the same form: Spring Security's DisabledException says "User is disabled". */
  disabled: 'Invalid credentials! : User is disabled',
  missing: 'Full authentication is required to access this resource',
} as const;
