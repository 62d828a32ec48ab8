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

t.test("every lazily compiled schema is valid against JSON Schema's meta-schema", async (t) => {
  for (const [name, schema] of Object.entries({ SeedSchema, FaultRuleSchema, Snapshot })) {
    t.ok(metaSchema.validateSchema(schema), `${name}: ${metaSchema.errorsText(metaSchema.errors)}`);
  }
});

t.test('the check finds a schema that is not one', async (t) => {
  t.notOk(
    metaSchema.validateSchema({ type: 'object', properties: { id: { type: 'strin' } } }),
    'a property of type "strin" is refused',
  );
});
