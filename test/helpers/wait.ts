import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `condition` holds, asking every few milliseconds; rejects, naming `what`, when it
 * has not held within `timeoutMs`. For what a test can only observe from outside (a connection
 * count, a listener that closed): never a fixed sleep that hopes the moment has come.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(5);
  }
}
