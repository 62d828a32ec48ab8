import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand. Starts at a fixed instant unless told otherwise. */
export class TestClock implements Clock {
  #now: number;

  constructor(start = Date.parse('2026-06-01T12:00:00.000Z')) {
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
