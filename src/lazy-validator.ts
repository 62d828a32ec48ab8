import { Ajv, type Options, type ValidateFunction } from 'ajv';

/**
 * A JSON-schema validator compiled when it is first used. Compiling one takes tens of
 * milliseconds, and every process that imports the module would pay it: the server once, but
 * also every CLI command and test process that never reads a seed, a fault rule or a snapshot.
 * The schema is ours, not the user's: Ajv's check of it against JSON Schema's meta-schema, half
 * of a compile (the meta-schema's own validator is compiled first), is left to
 * test/lazy-validator.test.ts, which checks every schema given here.
 */
export function lazyValidator<T = unknown>(schema: object, options: Options): () => ValidateFunction<T> {
  let validate: ValidateFunction<T> | undefined;
  return () => {
    validate ??= new Ajv({ ...options, validateSchema: false }).compile<T>(schema);
    return validate;
  };
}
