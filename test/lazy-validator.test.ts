import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import t from 'tap';
import { FaultRuleSchema } from '../src/faults/fault-rule.js';
import { SeedSchema } from '../src/seed/seed.js';
import { Snapshot } from '../src/state/snapshot.js';

/*
 * lazyValidator compiles without checking the schema against JSON Schema's meta-schema (half of a
 * compile, paid by every process that reads a seed): the check is here, for each schema it is given.
 */
const metaSchema = new Ajv({ strict: false });

const checked = { SeedSchema, FaultRuleSchema, Snapshot };

t.test("every lazily compiled schema is valid against JSON Schema's meta-schema", async (t) => {
  for (const [name, schema] of Object.entries(checked)) {
    t.ok(metaSchema.validateSchema(schema), `${name}: ${metaSchema.errorsText(metaSchema.errors)}`);
  }
});

t.test('the schemas checked here are the ones src/ gives lazyValidator', async (t) => {
  const src = new URL('../src/', import.meta.url);
  const given: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file === 'lazy-validator.ts') continue;
    for (const match of readFileSync(new URL(file, src), 'utf8').matchAll(
      /\blazyValidator(?:<[^>]*>)?\((\w+)/g,
    )) {
      given.push(match[1]!);
    }
  }
  t.same(given.sort(), Object.keys(checked).sort(), 'a new lazily compiled schema is added to `checked`');
});

t.test('the check finds a schema that is not one', async (t) => {
  t.notOk(
    metaSchema.validateSchema({ type: 'object', properties: { id: { type: 'strin' } } }),
    'a property of type "strin" is refused',
  );
});
