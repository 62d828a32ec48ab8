/**
 * A failure the user can act on. main.ts prints its message as the one line
 * `c8y-mtls-mock: <message>` and exits non-zero, never with a stack trace.
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Messages from libraries (OpenSSL's especially) can span lines; the user gets one. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}
