/** A WHERE clause built condition by condition, with its parameters in order. */
export class SqlFilter {
  readonly #conditions: string[] = [];
  readonly #params: unknown[] = [];

  /** Adds `condition` (with `?` placeholders) unless a parameter is undefined. */
  add(condition: string, ...params: unknown[]): this {
    if (params.some((p) => p === undefined)) return this;
    this.#conditions.push(condition);
    this.#params.push(...params);
    return this;
  }

  /** `column IN (…)`; an empty list matches nothing, an undefined one everything. */
  in(column: string, values: readonly unknown[] | undefined): this {
    if (values === undefined) return this;
    if (values.length === 0) return this.add('0');
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  range(column: string, range: { from?: number | undefined; to?: number | undefined } | undefined): this {
    if (!range) return this;
    this.add(`${column} >= ?`, range.from);
    return this.add(`${column} <= ?`, range.to);
  }

  get sql(): string {
    return this.#conditions.length === 0 ? '' : `WHERE ${this.#conditions.join(' AND ')}`;
  }

  get params(): unknown[] {
    return [...this.#params];
  }
}

/**
 * A JSON path naming one top-level property of a fragments document. SQLite's
 * path syntax quotes labels with double quotes; a name holding one cannot be
 * expressed and matches nothing.
 */
export const propertyPath = (name: string): string | null => (name.includes('"') ? null : `$."${name}"`);
