import type { DataPage, PageRequest } from '../device-data/page.js';
import { parseDateOrDateTime } from '../device-data/time.js';
import { BadRequest } from '../errors.js';
import { booleanQuery, type Paging, parsePaging, queryValue } from './paging.js';

/**
 * Query parameters of the device data collections, read strictly: a bad
 * value is a 400 that names the parameter, as for the other collections.
 */
export type Query = Record<string, unknown>;

export interface DataQuery {
  paging: Paging;
  page: PageRequest;
  text(name: string): string | undefined;
  boolean(name: string): boolean | undefined;
  /** A comma-separated list (`status=ACTIVE,ACKNOWLEDGED`). */
  list(name: string): string[] | undefined;
  listOf<T extends string>(name: string, allowed: readonly T[]): T[] | undefined;
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined;
  /** Milliseconds for `from`..`to` (dates or date-times); undefined when neither is given. */
  range(from: string, to: string): { from?: number; to?: number } | undefined;
}

export function readDataQuery(query: Query, resource: string): DataQuery {
  const paging = parsePaging(query, resource);
  const text = (name: string) => {
    const value = queryValue(query, name, resource);
    return value === undefined || value === '' ? undefined : value;
  };
  const list = (name: string) =>
    text(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const date = (name: string) => {
    const value = text(name);
    if (value === undefined) return undefined;
    const ms = parseDateOrDateTime(value);
    if (ms === undefined) {
      throw new BadRequest(
        resource,
        `Query parameter ${name} must be a date (2026-06-01) or a date and time with a zone (2026-06-01T12:00:00.000Z); got ${JSON.stringify(value.slice(0, 60))}.`,
      );
    }
    return ms;
  };
  const allowedOnly = <T extends string>(name: string, values: string[], allowed: readonly T[]): T[] => {
    const wrong = values.find((value) => !allowed.includes(value as T));
    if (wrong !== undefined) {
      throw new BadRequest(
        resource,
        `Query parameter ${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(wrong.slice(0, 60))}.`,
      );
    }
    return values as T[];
  };
  return {
    paging,
    page: {
      currentPage: paging.currentPage,
      pageSize: paging.pageSize,
      withTotal: paging.withTotalPages || paging.withTotalElements,
    },
    text,
    boolean: (name) => (text(name) === undefined ? undefined : booleanQuery(query, name, resource)),
    list,
    listOf: (name, allowed) => {
      const values = list(name);
      return values === undefined ? undefined : allowedOnly(name, values, allowed);
    },
    oneOf: (name, allowed) => {
      const value = text(name);
      return value === undefined ? undefined : allowedOnly(name, [value], allowed)[0];
    },
    range: (from, to) => {
      const [start, end] = [date(from), date(to)];
      if (start === undefined && end === undefined) return undefined;
      return { ...(start !== undefined ? { from: start } : {}), ...(end !== undefined ? { to: end } : {}) };
    },
  };
}

/**
 * A collection answer: the items under `name`, `self`, `next` when another
 * page follows, `prev` after the first, and the statistics (totals only when
 * asked for). Links keep the request's other parameters.
 */
export function collectionJson<T>(
  name: string,
  items: T[],
  page: DataPage<unknown>,
  paging: Paging,
  url: string,
  query: Query,
) {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string' && key !== 'pageSize' && key !== 'currentPage') params[key] = value;
  }
  const link = (currentPage: number) =>
    `${url}?${new URLSearchParams({ pageSize: String(paging.pageSize), currentPage: String(currentPage), ...params })}`;
  const total = page.total;
  return {
    [name]: items,
    ...(page.hasMore ? { next: link(paging.currentPage + 1) } : {}),
    ...(paging.currentPage > 1 ? { prev: link(paging.currentPage - 1) } : {}),
    self: link(paging.currentPage),
    statistics: {
      currentPage: paging.currentPage,
      pageSize: paging.pageSize,
      ...(paging.withTotalPages && total !== undefined
        ? { totalPages: Math.ceil(total / paging.pageSize) }
        : {}),
      ...(paging.withTotalElements && total !== undefined ? { totalElements: total } : {}),
    },
  };
}
