import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import ts from 'typescript';
import { tempDir } from './helpers/cli.js';

/*
 * The executable (src/bin.cts) sizes libuv's pool before the program loads. It runs here with a
 * probe in the program's place, compiled from today's source whatever the state of the build: the
 * probe puts a signature on the pool, which makes the pool, and counts the process's threads.
 * On a machine with 4 cores or more the size it sets is libuv's own default; CI has 2.
 */
const run = promisify(execFile);
const dir = tempDir(t);
const source = readFileSync(new URL('../src/bin.cts', import.meta.url), 'utf8');
const { outputText } = ts.transpileModule(source, {
  fileName: 'bin.cts',
  compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2023 },
});
writeFileSync(join(dir, 'bin.cjs'), outputText);
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
writeFileSync(
  join(dir, 'main.js'),
  `import { generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync } from 'node:fs';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
await new Promise((resolve) => sign('sha256', Buffer.alloc(1), privateKey, resolve));
process.stdout.write(String(readdirSync('/proc/self/task').length));
`,
);

/** The threads of the bin's process once its pool exists; `size` in its environment, or none. */
async function threads(size?: number): Promise<number> {
  // Through env(1), as helpers/cli.ts's executable: tap's spawn hook must not load anything first.
  const env = [
    '-u',
    'NODE_OPTIONS',
    '-u',
    'UV_THREADPOOL_SIZE',
    ...(size ? [`UV_THREADPOOL_SIZE=${size}`] : []),
  ];
  const { stdout } = await run('env', [...env, process.execPath, join(dir, 'bin.cjs')]);
  return Number(stdout);
}

t.test('one pool thread per core, 2 to 4, unless the environment sets a size', async (t) => {
  const expected = Math.min(4, Math.max(2, availableParallelism()));
  const unset = await threads();
  t.equal(unset, await threads(expected), `as many threads as with UV_THREADPOOL_SIZE=${expected}`);
  t.equal(await threads(expected + 3), unset + 3, 'a size in the environment is kept');
});
