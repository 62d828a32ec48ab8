/**
 * Groups the durable writes of the requests of one turn of the event loop in one transaction:
 * on disk a commit per request was the largest single cost of a stored measurement (issue 19),
 * as it was for the MQTT door's messages. Each write still runs in a transaction of its own,
 * nested (a savepoint): one that throws is undone alone and its request gets its error, as it
 * would without the grouping. Every promise settles after the commit, so nothing is acknowledged
 * before it is stored; if the commit fails, every request of the group gets the error.
 */
export class GroupCommit {
  readonly #transaction: <T>(work: () => T) => T;
  #queue: { work: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];

  /** `transaction`: runs `work` in a transaction, nested in an open one as a savepoint. */
  constructor(transaction: <T>(work: () => T) => T) {
    this.#transaction = transaction;
  }

  /** Runs `work` with the other writes of this turn; settles once they are committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) setImmediate(() => this.#flush());
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.#transaction(() => {
        for (const { work } of queue) {
          try {
            outcomes.push({ ok: true, value: this.#transaction(work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const { reject } of queue) reject(error);
      return;
    }
    for (const [i, { resolve, reject }] of queue.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    }
  }
}
