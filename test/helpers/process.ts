import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { childEnv, executable } from './cli.js';
import type { Endpoint } from './server.js';

const root = new URL('../..', import.meta.url).pathname;

export interface ServerProcess extends Endpoint {
  child: ChildProcess;
  /** The MQTT door's port when started with `--mqtt-port`, else 0. */
  mqttPort: number;
  /** The API door's port (no client certificates), 0 when off. */
  apiPort: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
}

/** A TCP port that was free a moment ago, for a listener that takes 0 as "off" (--mqtt-port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as import('node:net').AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
/**
 * Starts `c8y-mtls-mock serve` as its own process (the built server as users run it, or the
 * source when the build is older: helpers/cli.ts) on an ephemeral port of 127.0.0.1; resolves
 * once it listens (its banner, on stderr). `certsDir` receives the development CA that clients
 * must trust. MQTT is off unless `args` give `--mqtt-port` (test files run side by side: 8883
 * would be taken).
 */
/** `startServerProcess`'s arguments with the API door on a free port. */
export async function withApiDoor(args: string[]): Promise<string[]> {
  return ['--api-port', String(await freePort()), ...args];
}

export function startServerProcess(certsDir: string, args: string[]): Promise<ServerProcess> {
  const at = args.indexOf('--mqtt-port');
  const mqtt = at >= 0 ? [] : ['--mqtt-port', '0'];
  const mqttWanted = at >= 0 && args[at + 1] !== '0';
  // The API door off unless asked for (`--api-port 0` turns it off; its default, 9443, is one port
  // for every test file): `withApiDoor` gives it a free port.
  const [command, argv] = executable([
    'serve',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--certs-dir',
    certsDir,
    ...mqtt,
    ...(args.includes('--api-port') ? [] : ['--api-port', '0']),
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
      const mqttPort = /MQTT over TLS for devices on mqtts:\/\/localhost:(\d+)/.exec(out)?.[1];
      if (mqttWanted && !mqttPort) return;
      const apiPort = /API door \(no client certificates\) on https:\/\/localhost:(\d+)/.exec(out)?.[1];
      child.stderr?.off('data', onData);
      resolve({
        child,
        port: Number(port),
        apiPort: Number(apiPort ?? 0),
        mqttPort: Number(mqttPort ?? 0),
        serverCa: readFileSync(join(certsDir, 'dev-ca.pem'), 'utf8'),
        output: () => out,
        exited,
      });
    };
    child.stderr?.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
}
