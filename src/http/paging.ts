import { BadRequest } from '../errors.js';

/** The platform's paging limits: 5 per page unless asked, at most 2000. */
export const DEFAULT_PAGE_SIZE = 5;
export const MAX_PAGE_SIZE = 2000;

export interface Paging {
  currentPage: number;
  pageSize: number;
  withTotalElements: boolean;
  withTotalPages: boolean;
}

export interface PageStatistics {
  currentPage: number;
  pageSize: number;
  totalPages?: number;
  totalElements?: number;
}

export interface Page<T> {
  items: T[];
  statistics: PageStatistics;
  self: string;
  next?: string;
  prev?: string;
}

type Query = Record<string, unknown>;

/** One query parameter as a string; a repeated one is refused rather than guessed at. */
export function queryValue(query: Query, name: string, resource: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new BadRequest(resource, `Query parameter ${name} is given more than once.`);
  }
  return value;
}

/** `true` or `false`; absent is `fallback`. */
export function booleanQuery(query: Query, name: string, resource: string, fallback = false): boolean {
  const value = queryValue(query, name, resource);
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new BadRequest(
    resource,
    `Query parameter ${name} must be true or false; got ${JSON.stringify(value)}.`,
  );
}

function wholeNumber(
  query: Query,
  name: string,
  resource: string,
  min: number,
  max: number,
  fallback: number,
) {
  const value = queryValue(query, name, resource);
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new BadRequest(
      resource,
      `Query parameter ${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value.slice(0, 40))}.`,
    );
  }
  return Number(value);
}

/**
 * Whether a query asks for the records between a lower and an upper boundary (`dateFrom`–`dateTo`,
 * `createdFrom`–`createdTo`, …): a boundary parameter given.
 */
export function isRangeQuery(query: Query): boolean {
  return Object.entries(query).some(
    ([name, value]) => /.(From|To)$/.test(name) && value !== undefined && value !== '',
  );
}

/**
 * Reads currentPage, pageSize, withTotalElements and withTotalPages; a bad value is a 400 that names it.
 * `totalPages` "is returned by default except when an operation retrieves all records where values
 * are between an upper and lower boundary" (the 2026 OpenAPI, pageStatistics); `totalElements` only
 * with `withTotalElements=true`.
 */
export function parsePaging(query: Query, resource: string): Paging {
  return {
    currentPage: wholeNumber(query, 'currentPage', resource, 1, 999_999_999, 1),
    pageSize: wholeNumber(query, 'pageSize', resource, 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    withTotalElements: booleanQuery(query, 'withTotalElements', resource),
    withTotalPages: booleanQuery(query, 'withTotalPages', resource, !isRangeQuery(query)),
  };
}

/**
 * One page of `all`, with the platform's statistics and links. The links keep
 * the request's filters (`params`); `next` appears only when a next page
 * exists, `prev` only after the first page.
 */
export function pageOf<T>(
  all: readonly T[],
  paging: Paging,
  url: string,
  params: Record<string, string> = {},
): Page<T> {
  const { currentPage, pageSize } = paging;
  const start = (currentPage - 1) * pageSize;
  const items = all.slice(start, start + pageSize);
  const totalPages = Math.ceil(all.length / pageSize);
  const link = (page: number) => {
    const search = new URLSearchParams({ pageSize: String(pageSize), currentPage: String(page), ...params });
    return `${url}?${search.toString()}`;
  };
  return {
    items,
    statistics: {
      currentPage,
      pageSize,
      ...(paging.withTotalPages ? { totalPages } : {}),
      ...(paging.withTotalElements ? { totalElements: all.length } : {}),
    },
    self: link(currentPage),
    ...(currentPage < totalPages ? { next: link(currentPage + 1) } : {}),
    ...(currentPage > 1 ? { prev: link(currentPage - 1) } : {}),
  };
}
