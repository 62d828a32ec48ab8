import type { Clock } from '../../src/clock.js';

/**
 * The instant tests happen at, unless one needs another: a fixed date, so a test runs the same
 * today and in ten years. Certificates are made around it (helpers/pki.ts), test servers start
 * their clock at it.
 */
export const TEST_NOW = Date.parse('2026-06-01T12:00:00.000Z');

/** A clock tests move by hand. Starts at TEST_NOW unless told otherwise. */
export class TestClock implements Clock {
  #now: number;

  constructor(start = TEST_NOW) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(ms: number): void {
    this.#now = ms;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
