import type { Clock } from '../clock.js';

/** What a command needs from the process: the time and where its output goes. */
export interface CliContext {
  clock: Clock;
  /** One line of normal output (stdout). */
  print(line: string): void;
}

/**
 * The process as the command line sees it: the time, stdout and stderr. main.ts gives the real
 * ones; tests give their own and run the commands in their process.
 */
export interface CliIo {
  clock: Clock;
  /** Text for stdout, as written (help, a command's lines). */
  stdout(text: string): void;
  /** Text for stderr: failures, and what `serve` tells the user (logs go to stdout). */
  stderr(text: string): void;
}

/** The context of the commands: each printed line goes to stdout. */
export const commandContext = (io: CliIo): CliContext => ({
  clock: io.clock,
  print: (line) => io.stdout(`${line}\n`),
});
