import type { Clock } from '../clock.js';

/** What a command needs from the process: the time and where its output goes. */
export interface CliContext {
  clock: Clock;
  /** One line of normal output (stdout). */
  print(line: string): void;
}
