import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** The repository's root: the servers' scripts and `dist` are named from there. */
export const ROOT = new URL('../..', import.meta.url).pathname;

/** The environment of a lean server: libuv's pool sized as src/bin.cts sizes the mock's. */
export const MOCK_POOL_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  UV_THREADPOOL_SIZE: String(Math.min(4, Math.max(2, availableParallelism()))),
};

/**
 * The servers a profile tool runs beside each other, each a Node process started from the
 * repository's root. `stop` ends them all, those still starting included: a tool calls it in a
 * `finally` around its starts and rounds, so that no server outlives a failed run.
 */
export class ChildServers {
  readonly #children: ChildProcess[] = [];

  /**
   * Starts `node ...args`; resolves to its process id once its output has a line `ready` (the
   * bench's servers) or says `listening on` (the mock), rejects if it exits before. A line, since
   * "address already in use" has `ready` in it.
   */
  start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    this.#children.push(child);
    let said = '';
    return new Promise<number>((resolve, reject) => {
      const hear = (chunk: Buffer) => {
        said += chunk;
        if (!/^ready$|listening on/m.test(said)) return;
        child.stdout!.off('data', hear);
        child.stderr!.off('data', hear);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child.pid!);
      };
      child.stdout!.on('data', hear);
      child.stderr!.on('data', hear);
      child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${said}`)));
    });
  }

  stop(): void {
    for (const child of this.#children) child.kill();
  }
}

/** The arguments of the mock's `serve` as the profile tools run it: warnings only, state on disk. */
export function mockServe(options: {
  build: string;
  port: number;
  mqttPort: number;
  certsDir: string;
  seedFile: string;
  dataDir: string;
}): string[] {
  return [
    options.build,
    'serve',
    ...['--port', String(options.port), '--mqtt-port', String(options.mqttPort), '--api-port', '0'],
    ...['--host', '127.0.0.1', '--certs-dir', options.certsDir, '--seed', options.seedFile],
    ...['--data-dir', options.dataDir, '--admin-secret', 'profile-admin-secret', '--log-level', 'warn'],
  ];
}
