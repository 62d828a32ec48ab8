import type { Store } from '../../src/store/store.js';

/** Counts the calls of every method of the store from now on, so a test sees whether a request read it. */
export function countStoreCalls(store: Store): { count: number } {
  const counter = { count: 0 };
  const prototype = Object.getPrototypeOf(store) as object;
  const target = store as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = Object.getOwnPropertyDescriptor(prototype, name)?.value;
    if (typeof method !== 'function' || name === 'constructor') continue;
    target[name] = (...args: unknown[]) => {
      counter.count++;
      return (method as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return counter;
}
