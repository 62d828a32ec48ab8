/**
 * Module hooks that run the tests' TypeScript through esbuild, transpile only (`npm run typecheck`
 * checks types). Why not tsx, which does the same: tsx asks esbuild to minify whitespace, so a
 * whole module becomes one line, and V8's coverage then counts every line of a file as run once
 * any of it ran (an unused function reported covered), which would make the coverage gate of
 * .taprc meaningless. Why not tap's ts-node plugin: it loads the TypeScript compiler into every
 * test process, about 1 s more per test file. Here the output keeps the source's lines, with an
 * inline source map, and the coverage report points at the .ts lines.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

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

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    sourcesContent: false,
    tsconfigRaw,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
