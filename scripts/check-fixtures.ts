/**
 * `npm run check:fixtures`: the OpenAPI subsets in test/fixtures/openapi/ are byte for byte the
 * ones of the project's reference notes, in `../shared/spec/` beside the checkout (CI lays that
 * folder there; a user's clone has none). The tests read the fixtures only, so this is where a
 * newer subset that was not copied in shows up.
 *
 *   npm run check:fixtures                    compare where ../shared/spec exists, else say so
 *   npm run check:fixtures -- --require       a missing folder is a failure too (CI)
 *   npm run check:fixtures -- --shared DIR    compare with another folder
 *
 * Exit code 0 when every fixture equals its original, 1 otherwise.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'openapi');

const { values } = parseArgs({
  options: {
    shared: { type: 'string', default: resolve(ROOT, '..', 'shared', 'spec') },
    require: { type: 'boolean', default: false },
  },
});
const shared = resolve(values.shared);
/** Inside the checkout relative to it, else absolute. */
const shown = (path: string) => (path.startsWith(ROOT) ? relative(ROOT, path) : path);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();

if (!existsSync(shared)) {
  const line = `${shown(shared)} does not exist: no originals to compare the fixtures with`;
  if (values.require) {
    console.log(`not ok - ${line}`);
    process.exit(1);
  }
  console.log(`# ${line} (this is expected on a clone of the repository alone)`);
  process.exit(0);
}

let failed = 0;
for (const name of jsonFiles(FIXTURES)) {
  const fixture = readFileSync(join(FIXTURES, name));
  const originalPath = join(shared, name);
  if (!existsSync(originalPath)) {
    failed += 1;
    console.log(`not ok - ${name}: no ${shown(originalPath)} to compare with`);
    continue;
  }
  const original = readFileSync(originalPath);
  if (fixture.equals(original)) {
    console.log(`ok - ${name} equals ${shown(originalPath)} (sha256 ${sha256(fixture)}…)`);
  } else {
    failed += 1;
    console.log(
      `not ok - ${name} differs from ${shown(originalPath)}: sha256 ${sha256(fixture)}… here, ` +
        `${sha256(original)}… there. Copy the original over the fixture, run npm test and ` +
        'review SPEC_CORRECTIONS in test/helpers/openapi.ts',
    );
  }
}
const fixtures = new Set(jsonFiles(FIXTURES));
for (const name of jsonFiles(shared).filter((name) => !fixtures.has(name))) {
  console.log(`# ${shown(join(shared, name))} has no copy in ${shown(FIXTURES)} (no test reads it)`);
}
process.exit(failed === 0 ? 0 : 1);
