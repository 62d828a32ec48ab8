/** The only source of "now" in the application, so tests can move time. */
export interface Clock {
  /** Whole milliseconds since the Unix epoch (certificates' dates are whole milliseconds too). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const toSeconds = (ms: number): number => Math.floor(ms / 1000);

/** The instants from `from` (included) to `until` (excluded), in milliseconds since the epoch. */
export interface Span {
  from: number;
  until: number;
}

export const within = (span: Span, now: number): boolean => span.from <= now && now < span.until;

/** Cumulocity prints dates with milliseconds and a Z suffix: 2023-06-17T13:47:33.000Z. */
export const isoDate = (ms: number): string => new Date(ms).toISOString();

/**
 * The mock's clock as a test suite moves it (GET/PUT /_mock/clock): the base clock plus an offset.
 * `set` moves the offset so that now is the instant given, and time runs on from there, as a
 * pipeline expects of a platform (a frozen clock would never expire the token it just issued).
 * The offset lives in memory only: a restart and a reset return to the base clock's time.
 * Real timeouts (sockets, MQTT keep-alive, HTTP limits) never read it.
 */
export class ControllableClock implements Clock {
  readonly #base: Clock;
  #offsetMs = 0;

  constructor(base: Clock) {
    this.#base = base;
  }

  now(): number {
    return this.#base.now() + this.#offsetMs;
  }

  /** How far the clock is from the base clock's time (0: real time). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  advance(ms: number): void {
    this.#move(this.#offsetMs + ms);
  }

  set(instantMs: number): void {
    this.#move(instantMs - this.#base.now());
  }

  real(): void {
    this.#offsetMs = 0;
  }

  /** A clock at NaN would break every date it prints (isoDate throws), so it never gets there. */
  #move(offsetMs: number): void {
    if (!Number.isFinite(offsetMs)) {
      throw new RangeError(`The clock's offset must be a finite number of milliseconds; got ${offsetMs}`);
    }
    // Whole milliseconds, as every date the mock compares with now.
    this.#offsetMs = Math.round(offsetMs);
  }
}
