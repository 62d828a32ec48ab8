import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { runProgram } from '../../src/cli/program.js';
import type { Clock } from '../../src/clock.js';
import { type Credential, chainPem, exportPrivateKeyPem } from '../../src/pki/certificate-factory.js';
import { TestClock } from './clock.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

function newestSourceIsBuilt(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!newestSourceIsBuilt(path)) return false;
    } else if (/\.c?ts$/.test(entry.name)) {
      const built = join(DIST, relative(SRC, path))
        .replace(/\.ts$/, '.js')
        .replace(/\.cts$/, '.cjs');
      try {
        if (statSync(built).mtimeMs < statSync(path).mtimeMs) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/**
 * How the tests start the CLI as a process, as a user would: `node dist/bin.cjs` (the `bin`)
 * when the build is up to date with src/ (as after `npm ci`), otherwise the TypeScript entry
 * through tsx, so a test never runs stale code.
 */
export const CLI: readonly string[] = newestSourceIsBuilt(SRC)
  ? [join(DIST, 'bin.cjs')]
  : ['--import', import.meta.resolve('tsx'), join(SRC, 'bin.cts')];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** The commands' clock (validity defaults, a token's time left); default the fixed TestClock. */
  clock?: Clock;
}

let running: Promise<unknown> = Promise.resolve();

/**
 * Runs `c8y-mtls-mock <args>` in this process, as main.ts does (runProgram with argv, stdout and
 * stderr), in `cwd` and with an environment free of the caller's C8Y_* settings: the same
 * commands, exit code and output as the executable's, without starting Node for each. The
 * working directory and environment are the process's, so runs take turns.
 */
export function runCli(args: string[], options: RunOptions): Promise<CliResult> {
  const run = running.then(() => inProcess(args, options));
  running = run.catch(() => {});
  return run;
}

async function inProcess(args: string[], options: RunOptions): Promise<CliResult> {
  const saved = { cwd: process.cwd(), env: { ...process.env } };
  for (const name of Object.keys(process.env)) if (name.startsWith('C8Y_')) delete process.env[name];
  Object.assign(process.env, options.env);
  process.chdir(options.cwd);
  let stdout = '';
  let stderr = '';
  try {
    const code = await runProgram(['node', 'c8y-mtls-mock', ...args], {
      clock: options.clock ?? new TestClock(),
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    });
    return { code, stdout, stderr };
  } finally {
    process.chdir(saved.cwd);
    for (const name of Object.keys(process.env)) if (!(name in saved.env)) delete process.env[name];
    Object.assign(process.env, saved.env);
  }
}

/**
 * Runs `c8y-mtls-mock <args>` as its own process (see CLI), in `cwd` with an environment free of
 * the caller's C8Y_* settings: for the few checks of the executable itself.
 */
export function spawnCli(args: string[], options: Omit<RunOptions, 'clock'>): Promise<CliResult> {
  const [command, argv] = executable(args);
  return collect(command, argv, { cwd: options.cwd, env: childEnv(options.env) });
}

/**
 * How a test starts `c8y-mtls-mock <args>` as a process: `[command, arguments]` for spawn. tap
 * hooks every spawn to load its process tracking and coverage into the child through
 * NODE_OPTIONS; `env -u NODE_OPTIONS` starts the mock as users run it, without them (about 0.4 s
 * sooner). Coverage is the test processes' only: a child runs dist/*.js, whose source maps lead
 * back to src/, and merging two compilations of one file would garble its counts.
 */
export function executable(args: string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', process.execPath, ...CLI, ...args]];
}

/**
 * Writes `<bin>/npx`: an `npx` that runs this checkout's CLI for `npx c8y-mtls-mock …` and
 * refuses anything else, so a page's examples run exactly as printed with `bin` first on the
 * PATH. Through executable(), so tap's spawn hook does not load its coverage into the CLI (its
 * own compilation of src/ would garble the gate's counts).
 */
export function writeNpxShim(bin: string): void {
  const cli = executable([])
    .flat()
    .map((arg) => `'${arg}'`)
    .join(' ');
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\n[ "$1" = c8y-mtls-mock ] || { echo "test npx: only c8y-mtls-mock" >&2; exit 127; }\nshift\nexec ${cli} "$@"\n`,
    { mode: 0o755 },
  );
}

/** The environment of a mock started as its own process: the test's, without its C8Y_* settings. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('C8Y_')) env[name] = value;
  return { ...env, ...extra };
}

/** A fresh directory, removed when the test ends. */
export function tempDir(t: Teardown, prefix = 'c8y-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function assertSuccess(t: Test, result: CliResult): void {
  t.equal(result.code, 0, `exit code 0 (stderr: ${result.stderr.trim()})`);
  t.equal(result.stderr, '', 'nothing on stderr');
}

/** Exit code non-zero; stderr exactly one line `c8y-mtls-mock: <message>`, no stack trace; nothing on stdout. */
export function assertFailure(t: Test, result: CliResult, message: RegExp): void {
  t.not(result.code, 0, 'non-zero exit code');
  t.not(result.code, null, 'exited, not killed');
  t.match(result.stderr, /^c8y-mtls-mock: [^\n]+\n$/, 'one line on stderr');
  t.notMatch(result.stderr, /\n\s+at\s/, 'no stack trace');
  t.match(result.stderr, message, 'the message says what is wrong');
  t.equal(result.stdout, '', 'nothing on stdout');
}

/** File permission bits, e.g. 0o600. */
export const modeOf = (path: string) => statSync(path).mode & 0o777;

/**
 * Fails the test file at once, saying what to install, when `command` is not on the PATH: the
 * interop tests (npm run test:interop) drive programs a user may not have.
 */
export function requireProgram(command: string, install: string): void {
  const found = spawnSync(command, ['-help'], { stdio: 'ignore' });
  if ((found.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${command} is not installed: ${install}`);
  }
}

/** Runs another program (openssl, curl, keytool) and returns its result whatever its exit code. */
export function runTool(command: string, args: string[], options: { cwd: string }): Promise<CliResult> {
  return collect(command, args, options);
}

function collect(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: 'pipe' });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.end();
  });
}

/** Writes a credential made in-process as the CLI would: `<name>.pem`, `<name>.key`, `<name>-chain.pem`. */
export async function writeCredential(dir: string, name: string, credential: Credential): Promise<void> {
  writeFileSync(join(dir, `${name}.pem`), credential.certificate.pem);
  writeFileSync(join(dir, `${name}.key`), await exportPrivateKeyPem(credential.keys.privateKey), {
    mode: 0o600,
  });
  writeFileSync(join(dir, `${name}-chain.pem`), chainPem(credential));
}
