// The TypeScript loader of the tap tests (.taprc's node-arg): registers hooks.mjs.
import module from 'node:module';

const [major, minor, patch] = process.versions.node.split('.').map(Number);

// In the test's own thread where Node's synchronous hooks are sound: from 24.13.1, the version
// from which tap's own module hooks (@tapjs/processinfo) use them too. Before, in a hooks thread.
if (
  typeof module.registerHooks === 'function' &&
  (major > 24 || (major === 24 && (minor > 13 || (minor === 13 && patch >= 1))))
) {
  const { resolveSync, loadSync } = await import('./hooks.mjs');
  module.registerHooks({ resolve: resolveSync, load: loadSync });
} else {
  module.register('./hooks.mjs', import.meta.url);
}
