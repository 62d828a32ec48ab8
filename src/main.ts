#!/usr/bin/env node
import { runProgram } from './cli/program.js';
import { systemClock } from './clock.js';

// The process's side of the command line: argv, the real clock and streams, the exit code.
const code = await runProgram(process.argv, {
  clock: systemClock,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
if (code !== 0) process.exit(code);
