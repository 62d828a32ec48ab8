/**
 * Module hooks that run the tests' TypeScript through esbuild, transpile only (`npm run typecheck`
 * checks types). Why not tsx, which does the same: tsx asks esbuild to minify whitespace, so a
 * whole module becomes one line, and V8's coverage then counts every line of a file as run once
 * any of it ran (an unused function reported covered), which would make the coverage gate of
 * .taprc meaningless. Why not tap's ts-node plugin: it loads the TypeScript compiler into every
 * test process, about 1 s more per test file. Here the output keeps the source's lines, with an
 * inline source map, and the coverage report points at the .ts lines.
 *
 * Two forms of the same hooks: asynchronous ones for `module.register` (a thread of their own),
 * and synchronous ones for `module.registerHooks`, which run in the test's thread without a round
 * trip per import (register.mjs says which Node versions get which).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { version as esbuildVersion, transform, transformSync } from 'esbuild';

const TYPESCRIPT = /\.[cm]?ts$/;

// What esbuild needs of tsconfig.json to emit what tsc would (it reads no tsconfig itself here).
const tsconfigRaw = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } };

/** `./x.js` in a TypeScript file names `./x.ts` (NodeNext resolution), unless `x.js` exists. */
function typescriptTarget(specifier, parent) {
  if (!parent || !TYPESCRIPT.test(parent) || !/^\.{1,2}\/.*\.js$/.test(specifier)) return undefined;
  const url = new URL(specifier, parent);
  if (existsSync(url)) return undefined;
  const ts = new URL(url.href.replace(/\.js$/, '.ts'));
  return existsSync(ts) ? { url: ts.href, format: 'module', shortCircuit: true } : undefined;
}

export async function resolve(specifier, context, nextResolve) {
  return typescriptTarget(specifier, context.parentURL) ?? nextResolve(specifier, context);
}

export function resolveSync(specifier, context, nextResolve) {
  return typescriptTarget(specifier, context.parentURL) ?? nextResolve(specifier, context);
}

const transformOptions = (file) => ({
  loader: 'ts',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  sourcefile: file,
  sourcesContent: false,
  tsconfigRaw,
});

/*
 * Every test file is its own process and loads about 200 of the project's modules: transpiling
 * them again in each was a third of a test process's start (about 0.3 s of CPU, once per test file in
 * `npm test`). The output is kept by the hash of the source, esbuild's version and options (with
 * the path, which the source map names), so an edit, a move, an upgrade or other options transpile
 * again; a cache that cannot be written is only slower. `rm -rf node_modules/.cache/test-loader`
 * empties it.
 */
const CACHE = new URL('../../node_modules/.cache/test-loader/', import.meta.url);

/** The transpiled module from the cache, or what `transpile` makes of it (then kept). */
function cached(file, transpile) {
  const source = readFileSync(file, 'utf8');
  const options = transformOptions(file);
  const key = createHash('sha256')
    .update(`${esbuildVersion}\0${JSON.stringify(options)}\0${source}`)
    .digest('hex');
  const entry = new URL(`${key}.js`, CACHE);
  try {
    return readFileSync(entry, 'utf8');
  } catch {
    const keep = (code) => {
      try {
        mkdirSync(CACHE, { recursive: true });
        // Written aside and renamed: two test processes may write the same entry at once.
        const partial = new URL(`${key}.${process.pid}.tmp`, CACHE);
        writeFileSync(partial, code);
        renameSync(partial, entry);
      } catch {
        // Not kept: the next process transpiles it again.
      }
      return code;
    };
    const code = transpile(source, options);
    return typeof code === 'string' ? keep(code) : code.then(keep);
  }
}

const isTypescript = (url) => url.startsWith('file:') && TYPESCRIPT.test(new URL(url).pathname);

export async function load(url, context, nextLoad) {
  if (!isTypescript(url)) return nextLoad(url, context);
  const source = await cached(
    fileURLToPath(url),
    async (code, options) => (await transform(code, options)).code,
  );
  return { format: 'module', source, shortCircuit: true };
}

export function loadSync(url, context, nextLoad) {
  if (!isTypescript(url)) return nextLoad(url, context);
  const source = cached(fileURLToPath(url), (code, options) => transformSync(code, options).code);
  return { format: 'module', source, shortCircuit: true };
}
