/**
 * Values made once per key and kept, for what the certificates of a fleet repeat (their issuer's
 * name, their object identifiers): reading a new device's certificate then decodes only what is
 * its own (issue 19). Bounded: past `capacity` keys it forgets them all at once and starts again,
 * so keys that never repeat cost nothing lasting, and a key longer than `maxKeyLength` (no real
 * certificate's, but a hostile one's) is made every time and never kept, so what it holds stays
 * small whatever a client sends. `make` must be a function of the key alone.
 */
export class Memo<V> {
  readonly #values = new Map<string, V>();
  readonly #capacity: number;
  readonly #maxKeyLength: number;
  readonly #make: (key: string) => V;

  constructor(capacity: number, maxKeyLength: number, make: (key: string) => V) {
    this.#capacity = capacity;
    this.#maxKeyLength = maxKeyLength;
    this.#make = make;
  }

  /** The value of `key`, made now if it is not kept; what `make` throws is thrown, and nothing kept. */
  get(key: string): V {
    let value = this.#values.get(key);
    if (value === undefined) {
      value = this.#make(key);
      if (key.length > this.#maxKeyLength) return value;
      if (this.#values.size >= this.#capacity) this.#values.clear();
      this.#values.set(key, value);
    }
    return value;
  }

  get size(): number {
    return this.#values.size;
  }
}
