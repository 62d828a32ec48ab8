import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import t from 'tap';

/*
 * The rules of docs/architecture.md, read from the import specifiers of every
 * file under src/ (static, type-only, re-exports and dynamic imports alike).
 * Each rule is also shown to fail on a small tree that breaks it.
 */

const SRC = new URL('../src/', import.meta.url).pathname;

/** Folders of the domain: no HTTP, no framework, no entry. */
const DOMAIN = [
  'decisions',
  'device-data',
  'enrollment',
  'faults',
  'login',
  'pki',
  'seed',
  'state',
  'store',
  'tenants',
  'tls',
  'tokens',
];
/** What the domain must not reach: the framework, and the HTTP side and entry of the application. */
const NOT_FOR_THE_DOMAIN = ['fastify', '@fastify/', 'helmet'];
const HTTP_SIDE = ['http/', 'routes/', 'ui/', 'auth/', 'server/', 'app.ts', 'main.ts', 'services.ts'];
/** Doors of their own besides HTTP: they talk to the domain services, never through the HTTP side. */
const OTHER_DOORS = ['mqtt/'];
/** The entry: the only files that read the environment or argv, or listen. */
const ENTRY = ['bin.cts', 'main.ts', 'healthcheck.ts', 'server/'];

type Tree = Map<string, string>;

interface Import {
  from: string;
  /** A file of the tree (relative to src/, `.ts`), or a package name. */
  to: string;
  local: boolean;
}

const SPECIFIER =
  /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(tree: Tree): Import[] {
  const out: Import[] = [];
  for (const [file, text] of tree) {
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.')) {
        const to = normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
        out.push({ from: file, to, local: true });
      } else {
        out.push({ from: file, to: specifier, local: false });
      }
    }
  }
  return out;
}

const under = (file: string, prefixes: readonly string[]) =>
  prefixes.some((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix));

/** Every rule broken in the tree, one line each. */
function violations(tree: Tree): string[] {
  const found: string[] = [];
  const imports = importsOf(tree);
  const domain = DOMAIN.map((folder) => `${folder}/`);

  for (const { from, to, local } of imports) {
    if (local && under(from, ['routes/', 'ui/', 'http/', 'auth/', 'app.ts']) && to.startsWith('store/')) {
      found.push(`${from} imports ${to}: the HTTP side talks to domain services, not the store`);
    }
    if (under(from, OTHER_DOORS)) {
      if (local && to.startsWith('store/')) {
        found.push(`${from} imports ${to}: a door talks to domain services, not the store`);
      }
      if (!local && NOT_FOR_THE_DOMAIN.some((name) => to === name || to.startsWith(name))) {
        found.push(`${from} imports ${to}: the MQTT door knows no HTTP framework`);
      }
      if (local && under(to, HTTP_SIDE)) {
        found.push(`${from} imports ${to}: the MQTT door does not go through the HTTP side`);
      }
    }
    if (under(from, domain)) {
      if (!local && NOT_FOR_THE_DOMAIN.some((name) => to === name || to.startsWith(name))) {
        found.push(`${from} imports ${to}: the domain knows no HTTP framework`);
      }
      if (local && under(to, HTTP_SIDE)) {
        found.push(`${from} imports ${to}: the domain knows no HTTP side and no entry`);
      }
    }
    if (local && from.startsWith('store/') && !to.startsWith('store/')) {
      found.push(`${from} imports ${to}: storage holds rows, not rules`);
    }
  }

  for (const [file, text] of tree) {
    if (under(file, ENTRY)) continue;
    for (const [pattern, what] of [
      [/\bprocess\.(env|argv)\b/, 'reads the environment'],
      [/\.listen\(/, 'listens'],
    ] as const) {
      if (pattern.test(text)) found.push(`${file} ${what}: only the entry does (${ENTRY.join(', ')})`);
    }
  }

  for (const cycle of cycles(tree, imports)) found.push(`import circle: ${cycle.join(' -> ')}`);
  return found;
}

/** Import circles among the tree's files (Tarjan's strongly connected components). */
function cycles(tree: Tree, imports: Import[]): string[][] {
  const edges = new Map<string, string[]>([...tree.keys()].map((file) => [file, []]));
  for (const { from, to, local } of imports) if (local && tree.has(to)) edges.get(from)!.push(to);
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)!.includes(v)) found.push(component.reverse());
    }
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return found;
}

function readTree(dir: string): Tree {
  const tree: Tree = new Map();
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (/\.c?ts$/.test(entry))
      tree.set(relative(dir, join(dir, entry)), readFileSync(join(dir, entry), 'utf8'));
  }
  return tree;
}

t.test('src/ keeps the architecture', async (t) => {
  const tree = readTree(SRC);
  t.ok(tree.size > 80, `read ${tree.size} files`);
  const imports = importsOf(tree);
  t.ok(
    imports.some((i) => i.from === 'routes/device-access-token.ts' && i.to === 'login/device-login.ts'),
    'the reader finds type-only imports',
  );
  t.ok(
    imports.some((i) => i.from === 'server/serve-command.ts' && i.to === 'server/serve.ts'),
    'and dynamic ones',
  );
  t.same(violations(tree), [], 'no rule is broken');
});

t.test('each rule fails on a tree that breaks it', async (t) => {
  const base: [string, string][] = [
    ['store/store.ts', 'export interface Store {}'],
    ['tenants/devices.ts', "import type { Store } from '../store/store.js';"],
    ['routes/devices.ts', "import type { Devices } from '../tenants/devices.js';"],
    ['main.ts', "await program().parseAsync(process.argv);\nimport('./server/serve.js');"],
    ['server/serve.ts', 'await app.listen({ port: Number(process.env.PORT) });'],
  ];
  t.same(violations(new Map(base)), [], 'the base tree keeps every rule');

  const broken: [string, [string, string], RegExp][] = [
    [
      'a route reads the store',
      ['routes/devices.ts', "import type { Store } from '../store/store.js';"],
      /^routes\/devices\.ts imports store\/store\.ts/,
    ],
    [
      'the dashboard reads the store through a dynamic import',
      ['ui/views.ts', "const { x } = await import('../store/store.js');"],
      /^ui\/views\.ts imports store\/store\.ts/,
    ],
    [
      'an HTTP helper reads a store type',
      ['http/representations.ts', "import type { OptionRecord } from '../store/store.js';"],
      /^http\/representations\.ts imports store\/store\.ts/,
    ],
    [
      'the domain imports fastify',
      ['login/door.ts', "import type { FastifyRequest } from 'fastify';"],
      /^login\/door\.ts imports fastify: the domain knows no HTTP framework/,
    ],
    [
      'the domain imports the HTTP side',
      ['tokens/tokens.ts', "import { MEDIA } from '../http/media-types.js';"],
      /^tokens\/tokens\.ts imports http\/media-types\.ts/,
    ],
    [
      'the domain imports a route',
      ['tenants/devices.ts', "export { x } from '../routes/crl.js';"],
      /^tenants\/devices\.ts imports routes\/crl\.ts/,
    ],
    [
      'storage imports a rule',
      ['store/store.ts', "import { halfLifeAt } from '../tokens/token-state.js';"],
      /^store\/store\.ts imports tokens\/token-state\.ts: storage holds rows/,
    ],
    [
      'a service reads the environment',
      ['tokens/issuer.ts', 'const life = Number(process.env.LIFE);'],
      /^tokens\/issuer\.ts reads the environment/,
    ],
    ['a plugin listens', ['routes/extra.ts', 'await app.listen({ port: 0 });'], /^routes\/extra\.ts listens/],
    [
      'the MQTT door reads the store',
      ['mqtt/door.ts', "import type { Store } from '../store/store.js';"],
      /^mqtt\/door\.ts imports store\/store\.ts: a door talks to domain services/,
    ],
    [
      'the MQTT door imports fastify',
      ['mqtt/door.ts', "import Fastify from 'fastify';"],
      /^mqtt\/door\.ts imports fastify: the MQTT door knows no HTTP framework/,
    ],
    [
      'the MQTT door goes through a route',
      ['mqtt/door.ts', "import { x } from '../routes/operations.js';"],
      /^mqtt\/door\.ts imports routes\/operations\.ts: the MQTT door does not go through the HTTP side/,
    ],
    ['the MQTT door listens', ['mqtt/door.ts', 'server.listen(8883);'], /^mqtt\/door\.ts listens/],
    ['an import circle', ['store/store.ts', "import type { Other } from './other.js';"], /^import circle: /],
  ];
  for (const [name, [file, text], expected] of broken) {
    const tree = new Map(base);
    tree.set(file, `${tree.get(file) ?? ''}\n${text}`);
    if (name === 'an import circle') tree.set('store/other.ts', "import type { Store } from './store.js';");
    const found = violations(tree);
    t.equal(found.length, 1, `${name}: one violation`);
    t.match(found[0], expected, name);
  }
});
