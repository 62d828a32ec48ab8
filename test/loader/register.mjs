// The TypeScript loader of the tap tests (.taprc's node-arg): registers hooks.mjs.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
