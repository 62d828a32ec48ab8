#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, oneLine } from './cli/cli-error.js';
import {
  certsCommand,
  commandGroup,
  logoutCommand,
  mqttTokenCommand,
  tokenCommand,
  uploadCommand,
} from './cli/commands.js';
import type { CliContext } from './cli/context.js';
import { systemClock } from './clock.js';
import { ConfigError } from './config.js';
import { serveCommand } from './server/serve-command.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const NAME = 'c8y-mtls-mock';

export function program(
  context: CliContext = { clock: systemClock, print: (line) => process.stdout.write(`${line}\n`) },
): Command {
  const root = commandGroup(
    NAME,
    'Offline stand-in for Cumulocity IoT certificate-based device authentication',
  )
    .version(pkg.version)
    .addCommand(serveCommand())
    .addCommand(certsCommand(context))
    .addCommand(uploadCommand(context))
    .addCommand(tokenCommand(context))
    .addCommand(mqttTokenCommand(context))
    .addCommand(logoutCommand(context));
  oneLineErrors(root);
  return root;
}

/** commander's own errors (unknown option, missing argument) in the same one-line form as ours. */
function oneLineErrors(command: Command): void {
  command.configureOutput({
    outputError: (text, write) => write(`${NAME}: ${oneLine(text.replace(/^error: /, ''))}\n`),
  });
  for (const sub of command.commands) oneLineErrors(sub);
}

const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);

/** What a failure prints, and its exit code: 2 for a server that cannot start as configured, else 1. */
function failure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  // SeedError by name: importing its module here would load the server for every command.
  if (error instanceof ConfigError || (error instanceof Error && error.name === 'SeedError')) {
    return { message, exitCode: 2 };
  }
  if (LISTEN_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) {
    return { message: `cannot listen: ${message}`, exitCode: 2 };
  }
  return { message, exitCode: 1 };
}

try {
  await program().parseAsync(process.argv);
} catch (error) {
  const { message, exitCode } = failure(error);
  process.stderr.write(`${NAME}: ${oneLine(message)}\n`);
  process.exit(exitCode);
}
