import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A file that already exists and may not be overwritten. */
export class FileExistsError extends Error {
  override name = 'FileExistsError';
}

/**
 * Writes a generated file: private keys readable by the owner only, and an
 * existing file is never replaced unless `force` is set.
 */
export function writeGenerated(
  path: string,
  content: string | Uint8Array,
  options: { secret?: boolean; force?: boolean } = {},
): void {
  mkdirSync(dirname(path), { recursive: true });
  const mode = options.secret ? 0o600 : 0o644;
  try {
    writeFileSync(path, content, { flag: options.force ? 'w' : 'wx', mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FileExistsError(`${path} already exists (use --force to overwrite)`);
    }
    throw error;
  }
  if (options.force) chmodSync(path, mode);
}

export function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
