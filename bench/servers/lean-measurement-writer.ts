/**
 * The writer thread of `lean-measurement-store.ts` (`--writer-thread`): its own connection to the
 * lean store's database; each group the main thread posts (one at a time) inserted in one
 * transaction, and its ids posted back once it is committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLeanDatabase, type Row } from './lean-measurement-store.js';

const { file } = workerData as { file: string };
const { insertRows } = openLeanDatabase(file, false);
parentPort!.on('message', (rows: Row[]) => {
  parentPort!.postMessage(insertRows(rows));
});
