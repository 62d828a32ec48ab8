import { Ajv, type Options, type ValidateFunction } from 'ajv';

/**
 * A JSON-schema validator compiled when it is first used. Compiling one takes tens of
 * milliseconds, and every process that imports the module would pay it: the server once, but
 * also every CLI command and test process that never reads a seed, a fault rule or a snapshot.
 */
export function lazyValidator<T = unknown>(schema: object, options: Options): () => ValidateFunction<T> {
  let validate: ValidateFunction<T> | undefined;
  return () => {
    validate ??= new Ajv(options).compile<T>(schema);
    return validate;
  };
}
