import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  errorContent,
  OpenApiValidator,
  operation,
  SPEC_CORRECTIONS,
  type Spec,
  type SpecCorrection,
} from './openapi.js';

/**
 * Validation of the device data APIs (inventory, identity, measurements,
 * events, alarms, operations) against the official OpenAPI subset of 2026.
 * The file is a copy of `shared/spec/c8y-oas-2026-subset.json`: the core
 * OpenAPI ("Latest", mid-2026) as published in reubenmiller/go-c8y branch v2
 * (docs/c8y-oas.yml), cut to the paths the mock serves, code samples removed.
 */
export const DATA_SPEC_FILE = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  'fixtures',
  'openapi',
  'c8y-oas-2026-subset.json',
);

/** The generic corrections of the auth subset apply here too: error bodies, and 400/403/413/415. */
const generic = SPEC_CORRECTIONS.filter(
  (c) => c.where.startsWith('error responses without content') || c.where === 'secured operations',
);
if (generic.length !== 2)
  throw new Error('the generic spec corrections were renamed: update openapi-device-data.ts');

const missing = (operationId: string, status: number, why: string): SpecCorrection => ({
  where: `${operationId} ${status}`,
  problem: 'not listed',
  why: `${why}; validated against components.schemas.error.`,
  apply(spec: Spec) {
    const responses = operation(spec, operationId).responses;
    if (responses[status]) throw new Error(`${operationId} now documents ${status}: drop the correction`);
    responses[status] = { description: 'added by DATA_SPEC_CORRECTIONS', content: errorContent() };
  },
});

const UNKNOWN_SOURCE =
  "a source (or deviceId) that is no managed object of the tenant; the platform looks the object up and answers the inventory's 404";

/**
 * Where the 2026 subset is wrong or silent for the device data APIs, and what
 * the validation does instead. docs/device-data.md repeats this list.
 */
export const DATA_SPEC_CORRECTIONS: readonly SpecCorrection[] = [
  ...generic,
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

let shared: OpenApiValidator | undefined;
/** One validator per test process. */
export const dataApiSpec = (): OpenApiValidator => {
  shared ??= new OpenApiValidator(DATA_SPEC_FILE, DATA_SPEC_CORRECTIONS);
  return shared;
};
