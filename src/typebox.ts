import { createRequire } from 'node:module';
import type * as TypeBox from '@sinclair/typebox';

/**
 * TypeBox through its CommonJS build. Its ESM build is some 200 modules, each a separate
 * request to Node's ESM loader, and under the test loader's hooks a round trip to their thread:
 * about 0.2 s of every test process's start on this project's 2-core machine, against 0.07 s
 * for `require` of the same code. The two builds are the same library (TypeBox marks schemas with
 * `Symbol.for`, shared by both), so the types come from the ESM declarations as before.
 */
export const { Type } = createRequire(import.meta.url)('@sinclair/typebox') as typeof TypeBox;
export type { Static, TObject, TSchema } from '@sinclair/typebox';
