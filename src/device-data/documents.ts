import type { Fragments } from '../store/device-data-store.js';
import { refuse } from './refusals.js';
import { parseDateTime } from './time.js';

/** A JSON document as a client sent it (a request body, or SmartREST turned into one). */
export type Document = Record<string, unknown>;

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`;

export const isObject = (value: unknown): value is Document =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function asDocument(body: unknown, what = 'The request body'): Document {
  if (body === undefined) throw refuse.invalid(`${what} is missing; send a JSON object.`);
  if (!isObject(body))
    throw refuse.invalid(`${what} must be a JSON object; got ${describe(body).slice(0, 80)}.`);
  return body;
}

/** Refuses a document without `fields` (absent or null), naming all that are missing. */
export function requireFields(document: Document, fields: readonly string[]): void {
  const absent = (value: unknown) => value === undefined || value === null;
  const missing = fields.flatMap((field) => {
    // `source.id`: a missing `source` is reported as `source`, a source without id as `source.id`.
    const [head, tail] = field.split('.') as [string, string | undefined];
    const value = document[head];
    if (absent(value)) return [head];
    return tail !== undefined && isObject(value) && absent(value[tail]) ? [field] : [];
  });
  if (missing.length > 0) throw refuse.missing(missing);
}

export function stringField(document: Document, name: string): string | undefined {
  const value = document[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw refuse.invalid(`${name} must be a string; got ${describe(value).slice(0, 80)}.`);
  return value;
}

export function oneOfField<T extends string>(
  document: Document,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = stringField(document, name);
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) {
    throw refuse.invalid(
      `${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value).slice(0, 80)}.`,
    );
  }
  return value as T;
}

export function dateTimeField(document: Document, name: string): number | undefined {
  const value = stringField(document, name);
  if (value === undefined) return undefined;
  const ms = parseDateTime(value);
  if (ms === undefined) {
    throw refuse.invalid(
      `${name} must be an ISO 8601 date and time with a zone, such as 2026-06-01T12:00:00.000Z; got ${JSON.stringify(value).slice(0, 80)}.`,
    );
  }
  return ms;
}

/** The id of a `{"id": …}` reference (`source`, `managedObject`); a number is taken as its text. */
export function referenceId(document: Document, name: string): string | undefined {
  const value = document[name];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value))
    throw refuse.invalid(
      `${name} must be an object such as {"id": "12345"}; got ${describe(value).slice(0, 80)}.`,
    );
  const id = value.id;
  if (typeof id === 'number' && Number.isInteger(id)) return String(id);
  if (typeof id !== 'string' || id === '') {
    throw refuse.invalid(`${name}.id must be the id of a managed object; got ${describe(id).slice(0, 80)}.`);
  }
  return id;
}

/** The numeric id behind a path or body id; anything else names no object (the caller's 404). */
export function parseId(text: string | undefined): number | undefined {
  return text !== undefined && /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
}

/** The document without `names` (the properties a resource keeps in columns, or computes). */
export function fragmentsOf(document: Document, names: readonly string[]): Fragments {
  const fragments: Fragments = {};
  for (const [key, value] of Object.entries(document)) {
    if (!names.includes(key) && value !== undefined) fragments[key] = value;
  }
  return fragments;
}

/**
 * A change to stored fragments: a property set to null is removed, any other
 * replaces the stored one whole (the platform merges top-level properties only).
 */
export function mergeFragments(stored: Fragments, change: Fragments): Fragments {
  const merged: Fragments = { ...stored };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
