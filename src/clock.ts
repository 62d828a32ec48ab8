/** The only source of "now" in the application, so tests can move time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const toSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Cumulocity prints dates with milliseconds and a Z suffix: 2023-06-17T13:47:33.000Z. */
export const isoDate = (ms: number): string => new Date(ms).toISOString();
