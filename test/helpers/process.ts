import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, executable } from './cli.js';
import type { Endpoint } from './server.js';

const root = new URL('../..', import.meta.url).pathname;

export interface ServerProcess extends Endpoint {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts `c8y-mtls-mock serve` as its own process (the built server as users run it, or the
 * source when the build is older: helpers/cli.ts) on an ephemeral port of 127.0.0.1; resolves
 * once it listens (its banner, on stderr). `certsDir` receives the development CA that clients
 * must trust.
 */
export function startServerProcess(certsDir: string, args: string[]): Promise<ServerProcess> {
  const [command, argv] = executable([
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--certs-dir',
    certsDir,
    ...args,
  ]);
  const child = spawn(command, argv, { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk: Buffer) => {
    out += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  return new Promise((resolve, reject) => {
    const onData = () => {
      const port = /listening on https:\/\/localhost:(\d+)/.exec(out)?.[1];
      if (!port) return;
      child.stderr?.off('data', onData);
      resolve({
        child,
        port: Number(port),
        serverCa: readFileSync(join(certsDir, 'dev-ca.pem'), 'utf8'),
        output: () => out,
        exited,
      });
    };
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
}
