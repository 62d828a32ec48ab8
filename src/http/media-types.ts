import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, ERROR_CONTENT_TYPE } from '../errors.js';

/** Cumulocity's media types; responses carry the platform's parameters. */
const vnd = (name: string) => `application/vnd.com.nsn.cumulocity.${name}+json;charset=UTF-8;ver=0.9`;

export const MEDIA = {
  json: 'application/json',
  error: `${ERROR_CONTENT_TYPE};charset=UTF-8;ver=0.9`,
  currentUser: vnd('currentuser'),
  user: vnd('user'),
  currentTenant: vnd('currenttenant'),
  option: vnd('option'),
  optionCollection: vnd('optioncollection'),
  bulkNewDeviceRequest: vnd('bulknewdevicerequest'),
  newDeviceRequest: vnd('newdevicerequest'),
  newDeviceRequestCollection: vnd('newdevicerequestcollection'),
  managedObject: vnd('managedobject'),
  managedObjectCollection: vnd('managedobjectcollection'),
  managedObjectReference: vnd('managedobjectreference'),
  managedObjectReferenceCollection: vnd('managedobjectreferencecollection'),
  externalId: vnd('externalid'),
  externalIdCollection: vnd('externalidcollection'),
  measurement: vnd('measurement'),
  measurementCollection: vnd('measurementcollection'),
  event: vnd('event'),
  eventCollection: vnd('eventcollection'),
  alarm: vnd('alarm'),
  alarmCollection: vnd('alarmcollection'),
  operation: vnd('operation'),
  operationCollection: vnd('operationcollection'),
  crl: 'application/pkix-crl',
  /** EST's answer (RFC 7030 4.2.3), base64 with Content-Transfer-Encoding: base64. */
  pkcs7CertsOnly: 'application/pkcs7-mime; smime-type=certs-only',
} as const;

const CUMULOCITY_JSON = /^application\/vnd\.com\.nsn\.cumulocity\.[a-z0-9.-]+\+json$/i;

/** The resource name of a request's Cumulocity media type (`measurementcollection`), lowercase; undefined for plain JSON. */
export function cumulocityMediaName(request: FastifyRequest): string | undefined {
  const type = request.headers['content-type']?.split(';')[0]?.trim();
  return type
    ? /^application\/vnd\.com\.nsn\.cumulocity\.([a-z0-9.-]+)\+json$/i.exec(type)?.[1]?.toLowerCase()
    : undefined;
}

/**
 * JSON bodies in `application/json` and in Cumulocity's vendor types, and no others, where an
 * empty body is no body: the documented logout request sends
 * `Content-Type: application/json` with nothing after it.
 */
export function registerJsonParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // No API takes text: a text/plain body gets the 415 of any other unsupported type (naming
  // application/json), not a string handed on to fail as "not an object" (the control API's
  // "(top level) must be object").
  app.removeContentTypeParser('text/plain');
  const parser = (
    request: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    const text = body.toString();
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error, parsed) => {
      const key = error ? prototypeKey(text) : undefined;
      if (!key) {
        done(error, parsed);
        return;
      }
      const resource = request.routeOptions.config?.resource ?? 'general';
      done(
        new BadRequest(
          resource,
          `Invalid request body: the key ${key} is refused, as it could change the prototype of objects; rename it.`,
        ),
      );
    });
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parser);
  app.addContentTypeParser(CUMULOCITY_JSON, { parseAs: 'string' }, parser);
}

/**
 * Which prototype key made valid JSON a refused body (Fastify's parser refuses `__proto__` and
 * `constructor.prototype`, and says only that the body is not valid JSON), or undefined.
 */
function prototypeKey(text: string): string | undefined {
  let key: string | undefined;
  try {
    JSON.parse(text, (name, value) => {
      if (name === '__proto__') key = '__proto__';
      else if (name === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)
        key ??= 'constructor.prototype';
      return value;
    });
  } catch {
    return undefined;
  }
  return key;
}
