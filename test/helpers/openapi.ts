import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Test } from 'tap';
import type { ClientResponse } from './server.js';

/**
 * Validates the mock's responses against the official OpenAPI subsets, kept in
 * the repository as fixtures (test/fixtures/openapi/README.md says where they
 * came from); the paths are resolved from this file, never from a machine's
 * absolute path. Two subsets, each with its own list of corrections:
 * certificate-based device authentication (`openApi()`, `SPEC_CORRECTIONS`)
 * and the device data APIs of 2026 (`dataApiSpec()`, `DATA_SPEC_CORRECTIONS`).
 */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OPENAPI_FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'openapi');
export const SPEC_FILE = join(OPENAPI_FIXTURES, 'c8y-oas-auth-subset.json');
/** Inventory, identity, measurements, events, alarms and operations (and the above). */
export const DATA_SPEC_FILE = join(OPENAPI_FIXTURES, 'c8y-oas-2026-subset.json');

type Json = Record<string, unknown>;
interface MediaType {
  schema?: Json;
}
interface Response {
  description?: string;
  content?: Record<string, MediaType>;
  $ref?: string;
}
interface Operation {
  operationId: string;
  security?: unknown[];
  responses: Record<string, Response>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Response> };
}

const ERROR_MEDIA = 'application/vnd.com.nsn.cumulocity.error+json';
const errorContent = (): Record<string, MediaType> => ({
  [ERROR_MEDIA]: { schema: { $ref: '#/components/schemas/error' } },
});

function operations(spec: Spec): Operation[] {
  return Object.values(spec.paths).flatMap((item) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'put', 'post', 'delete', 'head', 'patch'].includes(method))
      .map(([, operation]) => operation),
  );
}

function operation(spec: Spec, operationId: string): Operation {
  const found = operations(spec).find((o) => o.operationId === operationId);
  if (!found) throw new Error(`the spec has no operation ${operationId}`);
  return found;
}

/** Statuses the mock answers that the spec leaves out of an operation, with the reason. */
const MISSING_STATUSES: { operationId: string; status: number; why: string }[] = [
  {
    operationId: 'getTrustedCertificateResource',
    status: 404,
    why: 'an unknown fingerprint; PUT and DELETE on the same path document it',
  },
  {
    operationId: 'getCRLSettings',
    status: 401,
    why: 'the operation is secured (Basic) but lists no error at all',
  },
  {
    operationId: 'postBulkNewDeviceRequestCollectionResource',
    status: 422,
    why: 'a file that is readable CSV but no bulk-registration file (no ID column, no rows); only 201 and 401 are listed',
  },
];

export interface SpecCorrection {
  /** Where in the spec. */
  where: string;
  /** What the spec says that the platform does not do. */
  problem: string;
  /** The evidence, and what the validation does instead. */
  why: string;
  apply(spec: Spec): void;
}

/** A status the mock answers that the spec leaves out of an operation, validated as the error body. */
function missing(operationId: string, status: number, why: string): SpecCorrection {
  return {
    where: `${operationId} ${status}`,
    problem: 'not listed',
    why: `${why}; validated against components.schemas.error.`,
    apply(spec) {
      const responses = operation(spec, operationId).responses;
      if (responses[status]) throw new Error(`${operationId} now documents ${status}: drop the correction`);
      responses[status] = { description: 'added by the spec corrections', content: errorContent() };
    },
  };
}

/** Both subsets describe some errors without a body. */
const ERROR_BODIES: SpecCorrection = {
  where:
    'error responses without content (e.g. trusted certificates 409/422, PUT/DELETE 404, options 404 and 422)',
  problem: 'describe the status but no body',
  why: 'the platform answers every error with its `{error, message, info}` body (OpenAPI "Error" section); validated against components.schemas.error.',
  apply(spec) {
    for (const op of operations(spec)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400 && !response.content) response.content = errorContent();
      }
    }
  },
};

/** Both subsets leave out the refusals every secured operation can give. */
const SECURED_ERRORS: SpecCorrection = {
  where: 'secured operations',
  problem:
    'omit 400 (malformed JSON, query or multipart), 403 (an administrator of another tenant; a device token on an administration API), 413 and 415 on most operations',
  why: 'the platform refuses such requests with its error body; these statuses are validated against components.schemas.error, and only on operations with a `security` requirement.',
  apply(spec) {
    for (const op of operations(spec)) {
      if (!op.security || op.security.length === 0) continue;
      for (const status of ['400', '403', '413', '415']) {
        op.responses[status] ??= { description: 'added by the spec corrections', content: errorContent() };
      }
    }
  },
};

/**
 * Every place the auth subset is known to be wrong or incomplete, and how the
 * validation works around it. docs/apis.md repeats this list.
 */
export const SPEC_CORRECTIONS: readonly SpecCorrection[] = [
  {
    where: 'components.schemas.accessToken (POST /devicecontrol/deviceAccessToken, 200)',
    problem: 'names the property `access_token`',
    why: 'the docs print `{"accessToken": …}` and go-c8y reads `accessToken` in a test against a live tenant; the schema is shared with /tenant/oauth/token, a copy-paste error. Validated as a required `accessToken` string, nothing else.',
    apply(spec) {
      spec.components.schemas.accessToken = {
        type: 'object',
        required: ['accessToken'],
        additionalProperties: false,
        properties: { accessToken: { type: 'string', minLength: 1 } },
      };
    },
  },
  {
    where:
      'postDeviceAccessTokenResource 422, postTrustedCertificatePopResource 400 and 422, postConfirmedTrustedCertificatePopResource 422',
    problem: 'declare the error body as `application/json`',
    why: `every other error in the spec, and the replayed platform responses, use \`${ERROR_MEDIA}\`; the mock sends that type for every error. Validated as that type.`,
    apply(spec) {
      const fix = (operationId: string, status: string) => {
        const response = operation(spec, operationId).responses[status]!;
        const json = response.content?.['application/json'];
        if (!json)
          throw new Error(
            `${operationId} ${status} no longer declares application/json: review the correction`,
          );
        response.content = { [ERROR_MEDIA]: json };
      };
      fix('postDeviceAccessTokenResource', '422');
      fix('postTrustedCertificatePopResource', '400');
      fix('postTrustedCertificatePopResource', '422');
      fix('postConfirmedTrustedCertificatePopResource', '422');
    },
  },
  ERROR_BODIES,
  SECURED_ERRORS,
  ...MISSING_STATUSES.map(({ operationId, status, why }) => missing(operationId, status, why)),
];

const UNKNOWN_SOURCE =
  "a source (or deviceId) that is no managed object of the tenant; the platform looks the object up and answers the inventory's 404";

/**
 * Where the 2026 subset is wrong or silent for the device data APIs, and what
 * the validation does instead. docs/device-data.md repeats this list.
 */
export const DATA_SPEC_CORRECTIONS: readonly SpecCorrection[] = [
  ERROR_BODIES,
  SECURED_ERRORS,
  missing('postMeasurementCollectionResource', 404, UNKNOWN_SOURCE),
  missing('postEventCollectionResource', 404, UNKNOWN_SOURCE),
  missing('postAlarmCollectionResource', 404, UNKNOWN_SOURCE),
  missing('postOperationCollectionResource', 404, UNKNOWN_SOURCE),
  missing(
    'getExternalIDCollectionResource',
    404,
    'an id that is no managed object of the tenant; POST on the same path documents it ("Global ID not found")',
  ),
  missing(
    'postExternalIDCollectionResource',
    422,
    'a body without `type` or `externalId`, both required by the externalId schema',
  ),
  missing(
    'putManagedObjectResource',
    422,
    'a body that is no JSON object, or a name or type that is no string; POST on the collection documents it',
  ),
  missing('deleteEventCollectionResource', 422, 'no source or date range: the description requires one'),
  missing('deleteAlarmCollectionResource', 422, 'no source or date range: the description requires one'),
  missing(
    'deleteOperationCollectionResource',
    422,
    'no filter at all (the mock refuses to delete every operation of the tenant)',
  ),
  {
    where: 'deleteManagedObjectResource 204',
    problem: 'declares a body (`*/*`, a string)',
    why: 'a 204 has no body by definition (RFC 9110); validated as an empty answer.',
    apply(spec) {
      const response = operation(spec, 'deleteManagedObjectResource').responses['204']!;
      if (!response.content)
        throw new Error('deleteManagedObjectResource 204 no longer declares a body: drop the correction');
      delete response.content;
    },
  },
];

const EST_PATHS = ['/.well-known/est/simpleenroll', '/.well-known/est/simplereenroll'] as const;
const PKCS7 = 'application/pkcs7-mime';

/**
 * Where the 2026 subset is wrong or silent for the tenant CA and EST, and what
 * the validation does instead. docs/enrollment.md repeats this list.
 */
export const EST_SPEC_CORRECTIONS: readonly SpecCorrection[] = [
  {
    where: 'POST /.well-known/est/simpleenroll and /simplereenroll 201',
    problem: 'give 201 with `application/pkcs7-mime;smime-type=certs-only` and a PEM example',
    why: "real clients accept only 200 (thin-edge checks for 200, go-c8y asserts it against live tenants), and the body is base64 of a DER PKCS#7 with `Content-Transfer-Encoding: base64` (thin-edge and go-c8y decode it so; a real answer decodes to SignedData). Validated as 200 with a non-empty `application/pkcs7-mime` body; its content is checked by openssl and the clients' readers in the tests.",
    apply(spec) {
      for (const path of EST_PATHS) {
        const responses = spec.paths[path]!.post!.responses;
        if (!responses['201']) throw new Error(`${path} no longer documents 201: review the correction`);
        delete responses['201'];
        responses['200'] = {
          description: 'added by the spec corrections',
          content: { [PKCS7]: { schema: { type: 'string', format: 'binary' } } },
        };
      }
    },
  },
  {
    where: 'POST /.well-known/est/* errors',
    problem: "document the platform's `{error, message, info}` body",
    why: 'a real tenant answered its EST 401s with `{"message": …}` alone (reference part 2, B4, B5, [LIVE]); the mock answers every EST error so, as `application/json`. Validated as an object with a string `message` and nothing else, for 400, 401, 403, 404, 413, 415 and 422.',
    apply(spec) {
      const messageOnly = {
        'application/json': {
          schema: {
            type: 'object',
            required: ['message'],
            additionalProperties: false,
            properties: { message: { type: 'string', minLength: 1 } },
          },
        },
      };
      for (const path of EST_PATHS) {
        const responses = spec.paths[path]!.post!.responses;
        for (const status of ['400', '401', '403', '404', '413', '415', '422']) {
          responses[status] = { description: 'added by the spec corrections', content: messageOnly };
        }
      }
    },
  },
  ERROR_BODIES,
  SECURED_ERRORS,
];

/** The spec with `$ref`'d responses inlined and the corrections applied. */
function loadSpec(file: string, corrections: readonly SpecCorrection[]): Spec {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
  for (const op of operations(spec)) {
    for (const [status, response] of Object.entries(op.responses)) {
      if (response.$ref) {
        const name = response.$ref.replace('#/components/responses/', '');
        op.responses[status] = structuredClone(spec.components.responses[name]!);
      }
    }
  }
  for (const correction of corrections) correction.apply(spec);
  return spec;
}

export class OpenApiValidator {
  readonly #spec: Spec;
  readonly #ajv = new Ajv({ strict: false, allErrors: true });
  readonly #compiled = new Map<string, ValidateFunction>();

  /** Another subset (the device data one) is validated with its own corrections. */
  constructor(file = SPEC_FILE, corrections: readonly SpecCorrection[] = SPEC_CORRECTIONS) {
    this.#spec = loadSpec(file, corrections);
    addFormats.default(this.#ajv);
    // OpenAPI formats with no JSON Schema meaning.
    for (const format of ['password', 'phone', 'binary']) this.#ajv.addFormat(format, true);
  }

  /** Whether the spec has this operation. */
  has(method: string, pathTemplate: string): boolean {
    return this.#spec.paths[pathTemplate]?.[method.toLowerCase()] !== undefined;
  }

  /** Problems with a response, empty when it matches the spec. */
  check(method: string, pathTemplate: string, response: ClientResponse): string[] {
    const where = `${method.toUpperCase()} ${pathTemplate} ${response.status}`;
    const op = this.#spec.paths[pathTemplate]?.[method.toLowerCase()];
    if (!op) return [`${method.toUpperCase()} ${pathTemplate} is not in the spec`];
    const documented = op.responses[String(response.status)];
    if (!documented)
      return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`];
    const contentType = String(response.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (!documented.content) {
      return response.raw.length === 0
        ? []
        : [`${where}: the spec defines no body, but ${response.raw.length} bytes came`];
    }
    const media = documented.content[contentType];
    if (!media) {
      return [
        `${where}: content type ${JSON.stringify(contentType)} not in ${Object.keys(documented.content).join(', ')}`,
      ];
    }
    const schema = media.schema;
    if (!schema) return [];
    if (schema.format === 'binary') return response.raw.length > 0 ? [] : [`${where}: empty binary body`];
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      return [`${where}: body is not JSON: ${response.text.slice(0, 100)}`];
    }
    const validate = this.#validator(`${where} ${contentType}`, schema);
    return validate(body)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${where}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
        );
  }

  /** A tap assertion: the response matches the (corrected) spec. */
  assert(t: Test, method: string, pathTemplate: string, response: ClientResponse): void {
    const problems = this.check(method, pathTemplate, response);
    t.same(
      problems,
      [],
      `${method.toUpperCase()} ${pathTemplate} ${response.status} matches the OpenAPI spec`,
    );
  }

  /**
   * A body against one of the spec's component schemas: for an answer whose path the subset does
   * not have (the user API: the subset holds only /user/currentUser, but the `user` schema).
   */
  assertSchema(t: Test, schemaName: string, body: unknown, what: string): void {
    const validate = this.#validator(`schema ${schemaName}`, { $ref: `#/components/schemas/${schemaName}` });
    t.same(
      validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`),
      [],
      `${what} matches the OpenAPI schema ${schemaName}`,
    );
  }

  #validator(key: string, schema: Json): ValidateFunction {
    let validate = this.#compiled.get(key);
    if (!validate) {
      // The components ride along so the schema's `#/components/...` references resolve.
      validate = this.#ajv.compile({ allOf: [schema], components: this.#spec.components });
      this.#compiled.set(key, validate);
    }
    return validate;
  }
}

/**
 * The auth subset's corrections that still apply to the 2026 subset: it has no CRL settings
 * operation (PUT /tenant/trusted-certificates/settings/crl), so that entry is left out.
 */
export const AUTH_2026_SPEC_CORRECTIONS: readonly SpecCorrection[] = SPEC_CORRECTIONS.filter(
  (correction) => !correction.where.startsWith('getCRLSettings'),
);

/**
 * The auth subset, and the 2026 subset for every path it also has: an answer the older subset's
 * tests check is held to both (issue 17: every answer of the implemented paths against 2026).
 */
class BothSubsets extends OpenApiValidator {
  readonly #latest = new OpenApiValidator(DATA_SPEC_FILE, AUTH_2026_SPEC_CORRECTIONS);

  override check(method: string, pathTemplate: string, response: ClientResponse): string[] {
    const problems = super.check(method, pathTemplate, response);
    if (!this.#latest.has(method, pathTemplate)) return problems;
    return [
      ...problems,
      ...this.#latest.check(method, pathTemplate, response).map((p) => `2026 subset: ${p}`),
    ];
  }
}

/** One validator per subset and test process: compiling schemas is not what tests test. */
let shared: OpenApiValidator | undefined;
export const openApi = (): OpenApiValidator => {
  shared ??= new BothSubsets();
  return shared;
};

let sharedEst: OpenApiValidator | undefined;
/** The tenant CA, registration for enrollment and EST against the 2026 subset. */
export const estApiSpec = (): OpenApiValidator => {
  sharedEst ??= new OpenApiValidator(DATA_SPEC_FILE, EST_SPEC_CORRECTIONS);
  return sharedEst;
};

let sharedData: OpenApiValidator | undefined;
/** The device data APIs against the 2026 subset. */
export const dataApiSpec = (): OpenApiValidator => {
  sharedData ??= new OpenApiValidator(DATA_SPEC_FILE, DATA_SPEC_CORRECTIONS);
  return sharedData;
};
