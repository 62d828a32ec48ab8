#!/usr/bin/env node
// The executable (package.json's `bin`): sizes libuv's thread pool, then runs the program.
//
// The pool signs tokens and checks certificate signatures. libuv makes it at its first use with
// UV_THREADPOOL_SIZE as it is then, and Node 20 first uses it to load an ES module: hence this
// CommonJS file, which sets the size before it imports the program. libuv's default of 4 threads
// on a 2-core machine lets the signing threads preempt the event loop: 2 threads there gave
// 9-13 % more new-device tokens a second (docs/performance.md, issue 19). A size in the
// environment is kept.
import os = require('node:os');

process.env.UV_THREADPOOL_SIZE ??= String(threadPoolSize(os.availableParallelism()));
void import('./main.js');

/** One thread per core, at least 2 (a file read must not wait behind a signature) and at most libuv's default. */
function threadPoolSize(cores: number): number {
  return Math.min(4, Math.max(2, cores));
}
