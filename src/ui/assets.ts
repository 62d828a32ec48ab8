import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's files live in the package's top-level `ui/` folder, found
 * from here both when the TypeScript sources run (src/ui) and when the built
 * server does (dist/ui): two levels up is the package root either way.
 */
export const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

/**
 * Every servable file of the folder, by its path relative to it with `/`
 * separators, read once: a request can name only a file listed here, so no
 * path from a URL ever reaches the file system.
 */
export function loadAssets(dir: string = UI_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const type = TYPES[extname(entry)];
    const file = join(dir, entry);
    if (!type || !statSync(file).isFile()) continue;
    const body = readFileSync(file);
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    assets.set(entry.split(sep).join('/'), { type, body, etag });
  }
  return assets;
}
