import Database from 'better-sqlite3';
import t from 'tap';
import { GroupCommit } from '../src/group-commit.js';

/*
 * The writes of one turn of the event loop commit together; each is its own savepoint, so one that
 * fails is undone alone; nothing settles before the commit (issue 19).
 */
function database() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE rows (n INTEGER PRIMARY KEY)');
  let commits = 0;
  const transaction = <T>(work: () => T): T => {
    const outer = !db.inTransaction;
    const result = db.transaction(work)();
    if (outer) commits++;
    return result;
  };
  const insert = (n: number) => () => db.prepare('INSERT INTO rows (n) VALUES (?)').run(n).changes;
  const rows = () => (db.prepare('SELECT n FROM rows ORDER BY n').all() as { n: number }[]).map((r) => r.n);
  return { db, transaction, insert, rows, commits: () => commits };
}

t.test('the writes of one turn are one commit, each settles after it', async (t) => {
  const { transaction, insert, rows, commits } = database();
  const group = new GroupCommit(transaction);
  const settled: number[] = [];
  const pending = [1, 2, 3].map((n) => group.run(insert(n)).then((changes) => settled.push(n * changes)));
  t.same(rows(), [], 'nothing is written before the turn ends');
  t.same(settled, [], 'nothing settles before the commit');
  await Promise.all(pending);
  t.same(rows(), [1, 2, 3]);
  t.same(settled, [1, 2, 3]);
  t.equal(commits(), 1, 'one commit for the three');
  await group.run(insert(4));
  t.equal(commits(), 2, 'a later turn commits again');
});

t.test('a write that throws is undone alone and gets its own error', async (t) => {
  const { db, transaction, insert, rows } = database();
  const group = new GroupCommit(transaction);
  const failing = () => {
    db.prepare('INSERT INTO rows (n) VALUES (?)').run(20);
    throw new Error('rule broken after a write');
  };
  const results = await Promise.allSettled([
    group.run(insert(10)),
    group.run(failing),
    group.run(insert(30)),
  ]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  t.match((results[1] as PromiseRejectedResult).reason, { message: 'rule broken after a write' });
  t.same(rows(), [10, 30], "the failed write's own row is undone, the others are stored");
});

t.test('a commit that fails rejects every write of its group', async (t) => {
  const { db, insert } = database();
  const broken = <T>(work: () => T): T => {
    if (!db.inTransaction) {
      db.transaction(work)();
      throw new Error('disk full');
    }
    return db.transaction(work)();
  };
  const group = new GroupCommit(broken);
  const results = await Promise.allSettled([group.run(insert(1)), group.run(insert(2))]);
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
});
