import { readFileSync } from 'node:fs';
import { type Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { serveCommand } from '../server/serve-command.js';
import { CliError, oneLine } from './cli-error.js';
import {
  certsCommand,
  commandGroup,
  logoutCommand,
  mqttTokenCommand,
  tokenCommand,
  uploadCommand,
} from './commands.js';
import { type CliIo, commandContext } from './context.js';
import { clockCommand } from './control-commands.js';
import { enrollCommand, reenrollCommand, registerCommand } from './enrollment-commands.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const NAME = 'c8y-mtls-mock';

/** Every command of the tool, writing to `io`; commander's own errors and exits throw instead of exiting. */
export function program(io: CliIo): Command {
  const context = commandContext(io);
  const root = commandGroup(
    NAME,
    'Offline stand-in for Cumulocity IoT certificate-based device authentication',
  )
    .version(pkg.version)
    .addCommand(serveCommand(io))
    .addCommand(certsCommand(context))
    .addCommand(uploadCommand(context))
    .addCommand(tokenCommand(context))
    .addCommand(mqttTokenCommand(context))
    .addCommand(logoutCommand(context))
    .addCommand(registerCommand(context))
    .addCommand(enrollCommand(context))
    .addCommand(reenrollCommand(context))
    .addCommand(clockCommand(context));
  configure(root, io);
  // A bad option of `serve` (flag or C8Y_MOCK_* variable) is a server that cannot start as
  // configured: exit 2 like the configuration's own checks, not commander's 1.
  root.commands
    .find((command) => command.name() === 'serve')
    ?.exitOverride((error) => {
      throw error.exitCode === 0 ? error : new CommanderError(2, error.code, error.message);
    });
  return root;
}

/** commander's output through `io`, its errors in the same one-line form as ours, no process.exit. */
function configure(command: Command, io: CliIo): void {
  command.exitOverride().configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: (text, write) => write(`${NAME}: ${oneLine(text.replace(/^error: /, ''))}\n`),
  });
  for (const sub of command.commands) configure(sub, io);
}

/**
 * Runs the command line `argv` (node, script, then the arguments) and resolves its exit
 * code. A failure is one line on stderr. A `serve` that started resolves 0 and keeps running.
 */
export async function runProgram(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await program(io).parseAsync([...argv]);
    return 0;
  } catch (error) {
    // commander has written its message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode;
    const { message, exitCode } = failure(error);
    io.stderr(`${NAME}: ${oneLine(message)}\n`);
    return exitCode;
  }
}

const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);

/** What a failure prints, and its exit code: 2 for a server that cannot start as configured, else 1. */
function failure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  // SeedError and StoredStateError by name: importing their modules here would load the server for every command.
  if (
    error instanceof ConfigError ||
    (error instanceof Error && (error.name === 'SeedError' || error.name === 'StoredStateError'))
  ) {
    return { message, exitCode: 2 };
  }
  if (LISTEN_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) {
    return { message: `cannot listen: ${message}`, exitCode: 2 };
  }
  return { message, exitCode: 1 };
}
