import t from 'tap';
import { StringPool } from '../../src/pki/string-pool.js';

t.test('equal values come back as the first one; past its capacity the pool starts again', async (t) => {
  const pool = new StringPool(3);
  const first = ['CN=Fleet CA', 'O=Acme'].join(', ');
  const again = ['CN=Fleet CA', 'O=Acme'].join(', ');
  t.equal(pool.get(first), first);
  t.equal(pool.get(again), first, 'the equal string held already');
  t.equal(pool.size, 1);
  pool.get('2.5.29.19');
  pool.get('2.5.29.15');
  t.equal(pool.size, 3);
  t.equal(pool.get('2.5.29.37'), '2.5.29.37', 'a value past the capacity is kept');
  t.equal(pool.size, 1, 'and the others forgotten, so the pool never holds more than its capacity');
  t.equal(pool.get(again), again, 'a forgotten value is held anew');
});
