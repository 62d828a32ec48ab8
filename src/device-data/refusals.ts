import { Conflict, NotFound, UnprocessableEntity } from '../errors.js';

/**
 * The platform's refusals of the device data APIs, in its words. Sources:
 * go-c8y and go-c8y-cli fixtures replaying real responses [LIVE] for the
 * inventory, operation and alarm 404s and the 422 of missing fields; the
 * OpenAPI examples [DOC] for identity; the event and measurement 404s follow
 * the same pattern [INF].
 */
export const refuse = {
  managedObject: (id: string) =>
    new NotFound('inventory', `Finding device data from database failed : No managedObject for id '${id}'!`),
  globalId: (id: string) =>
    new NotFound('identity', 'Global ID not found', { reason: `no managed object ${id} in this tenant` }),
  externalId: (type: string, externalId: string) =>
    new NotFound('identity', `External id not found; external id = ID [type=${type}, value=${externalId}]`),
  boundElsewhere: (type: string, externalId: string, boundTo: number) =>
    new Conflict('identity', 'Duplicate – Identity already bound to a different Global ID.', {
      reason: `${type}/${externalId} is bound to managed object ${boundTo}`,
    }),
  measurement: (id: string) =>
    new NotFound('measurement', `Finding measurement from database failed : No measurement for gid '${id}'!`),
  event: (id: string) =>
    new NotFound('event', `Finding event from database failed : No event for gid '${id}'!`),
  alarm: (id: string) =>
    new NotFound('alarm', `Finding alarm from database failed : No alarm for gid '${id}'!`),
  operation: (id: string) =>
    new NotFound('devicecontrol', `Finding device data from database failed : No operation for gid '${id}'!`),
  childReference: (parentId: string, kind: string, childId: string) =>
    new NotFound(
      'inventory',
      `Finding device data from database failed : No ${kind} reference from '${parentId}' to '${childId}'!`,
    ),
  /** Required fields missing: listed in alphabetical order, as the documented examples are. */
  missing: (fields: readonly string[]) =>
    new UnprocessableEntity(
      'undefined/validationError',
      `Following mandatory fields should be included: ${[...fields].sort().join(',')}`,
    ),
  invalid: (message: string) => new UnprocessableEntity('undefined/validationError', message),
  /** DELETE on a whole collection without a filter: the platform refuses to delete everything. */
  unfiltered: (resource: string, names: readonly string[]) =>
    new UnprocessableEntity(
      `${resource}/Unprocessable Entity`,
      `Deleting ${resource === 'measurement' ? 'measurements' : `${resource}s`} needs at least one of the query parameters ${names.join(', ')}.`,
    ),
} as const;
