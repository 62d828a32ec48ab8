import type { Window } from '../store/device-data-store.js';

/** Which page a caller wants, and whether it wants the total counted (a count is a scan). */
export interface PageRequest {
  currentPage: number;
  pageSize: number;
  withTotal: boolean;
}

export interface DataPage<T> {
  items: T[];
  /** Whether another page follows. */
  hasMore: boolean;
  /** Only when asked for. */
  total?: number;
}

/** One page from a store query: one row more than the page tells whether a next page exists. */
export function fetchPage<R, T>(
  request: PageRequest,
  find: (window: Window) => R[],
  count: () => number,
  view: (record: R) => T,
): DataPage<T> {
  const rows = find({ limit: request.pageSize + 1, offset: (request.currentPage - 1) * request.pageSize });
  return {
    items: rows.slice(0, request.pageSize).map(view),
    hasMore: rows.length > request.pageSize,
    ...(request.withTotal ? { total: count() } : {}),
  };
}

/** A page of a list already in memory. */
export function slicePage<T>(request: PageRequest, all: readonly T[]): DataPage<T> {
  const start = (request.currentPage - 1) * request.pageSize;
  return {
    items: all.slice(start, start + request.pageSize),
    hasMore: all.length > start + request.pageSize,
    ...(request.withTotal ? { total: all.length } : {}),
  };
}
