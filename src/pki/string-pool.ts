/**
 * One string for a value many objects repeat, so that each does not hold a copy of its own: the
 * certificates of a fleet share their issuer's name and their OIDs (issue 19's memory). Bounded:
 * past `capacity` different values the pool forgets them all at once and starts again, so values
 * that never repeat cost nothing lasting.
 */
export class StringPool {
  readonly #values = new Map<string, string>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** `value`, or the equal string the pool holds already. */
  get(value: string): string {
    const known = this.#values.get(value);
    if (known !== undefined) return known;
    if (this.#values.size >= this.#capacity) this.#values.clear();
    this.#values.set(value, value);
    return value;
  }

  get size(): number {
    return this.#values.size;
  }
}
