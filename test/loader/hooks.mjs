/**
 * Module hooks that run the tests' TypeScript through esbuild, transpile only (`npm run typecheck`
 * checks types). Why not tsx, which does the same: tsx asks esbuild to minify whitespace, so a
 * whole module becomes one line, and V8's coverage then counts every line of a file as run once
 * any of it ran (an unused function reported covered), which would make the coverage gate of
 * .taprc meaningless. Why not tap's ts-node plugin: it loads the TypeScript compiler into every
 * test process, about 1 s more per test file. Here the output keeps the source's lines, with an
 * inline source map, and the coverage report points at the .ts lines.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { version as esbuildVersion, transform } from 'esbuild';

const TYPESCRIPT = /\.[cm]?ts$/;

// What esbuild needs of tsconfig.json to emit what tsc would (it reads no tsconfig itself here).
const tsconfigRaw = { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } };

/** `./x.js` in a TypeScript file names `./x.ts` (NodeNext resolution), unless `x.js` exists. */
export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent && TYPESCRIPT.test(parent) && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const url = new URL(specifier, parent);
    if (!existsSync(url)) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(ts)) return { url: ts.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
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
 * them again in each was a third of a test process's start (about 0.3 s of CPU, 89 times per
 * `npm test`). The output is kept by the hash of the source, its path (the source map names it)
 * and esbuild's version, so an edit, a move or an upgrade transpiles again; a cache that cannot be
 * written is only slower.
 */
const CACHE = new URL('../../node_modules/.cache/test-loader/', import.meta.url);
const cacheReady = mkdir(CACHE, { recursive: true }).then(
  () => true,
  () => false,
);

async function transpile(file) {
  const source = await readFile(file, 'utf8');
  const key = createHash('sha256').update(`${esbuildVersion}\0${file}\0${source}`).digest('hex');
  const cached = new URL(`${key}.js`, CACHE);
  try {
    return await readFile(cached, 'utf8');
  } catch {
    const { code } = await transform(source, transformOptions(file));
    if (await cacheReady) {
      // Written aside and renamed: two test processes may write the same entry at once.
      const partial = new URL(`${key}.${process.pid}.tmp`, CACHE);
      await writeFile(partial, code).then(
        () => rename(partial, cached),
        () => undefined,
      );
    }
    return code;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  return { format: 'module', source: await transpile(fileURLToPath(url)), shortCircuit: true };
}
